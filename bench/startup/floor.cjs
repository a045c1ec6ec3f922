// The floor for a Node.js server on this machine: a bare node:http listener that answers
// every request with a GetCallerIdentity-shaped body. bench/startup measures it beside
// Stratus, so that node's own start-up (not Stratus's) is visible in the same run.
"use strict";
const port = Number(process.argv[process.argv.indexOf("--port") + 1]);
const body = "<GetCallerIdentityResponse><GetCallerIdentityResult><Account>000000000000</Account></GetCallerIdentityResult></GetCallerIdentityResponse>";
require("node:http")
  .createServer((request, response) => {
    request.resume();
    request.on("end", () => response.end(body));
  })
  .listen(port, "127.0.0.1");
