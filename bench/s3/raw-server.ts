/**
 * The practical limit: a bare node:http server that streams a PUT body to a
 * file (and a GET back from one), with no S3 semantics at all.
 */
import { createReadStream, createWriteStream, mkdirSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { createHash } from "node:crypto";

const dir = process.argv[3] ?? "/tmp/raw-baseline";
mkdirSync(dir, { recursive: true });
const fileOf = (url: string) => path.join(dir, createHash("sha1").update(url.split("?")[0]).digest("hex"));

const server = http.createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
  const file = fileOf(req.url ?? "/");
  if (req.method === "PUT") {
    const out = createWriteStream(file);
    req.pipe(out);
    out.on("finish", () => {
      res.writeHead(200, { "content-length": "0" });
      res.end();
    });
    out.on("error", () => res.destroy());
    return;
  }
  if (req.method === "GET") {
    let size: number;
    try {
      size = statSync(file).size;
    } catch {
      res.writeHead(404, { "content-length": "0" });
      res.end();
      return;
    }
    res.writeHead(200, { "content-length": String(size) });
    // 256 KiB reads, as Stratus does (1 MiB buffers are fresh mmaps: a page fault per 4 KiB).
    createReadStream(file, { highWaterMark: 256 << 10 }).pipe(res);
    return;
  }
  req.resume();
  res.writeHead(200, { "content-length": "0" });
  res.end();
});
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
