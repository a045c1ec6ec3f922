/**
 * Instances reach Stratus's API at http://169.254.169.254:4566: a TCP
 * forwarder on the host's metadata address passes each connection on to
 * where Stratus listens (its own address may be loopback, which instances
 * cannot reach). Inside instances AWS_ENDPOINT_URL names it.
 */
import net from "node:net";
import { IMDS_ADDRESS, listenOnImdsAddress } from "./network.js";

export const API_PORT = 4566;
export const INSTANCE_ENDPOINT = `http://${IMDS_ADDRESS}:${API_PORT}`;

export class ApiForwarder {
  private server: net.Server | undefined;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly target: () => { host: string; port: number } | undefined) {}

  listen(): Promise<void> {
    if (this.server) return Promise.resolve();
    this.server = net.createServer((socket) => this.forward(socket));
    return listenOnImdsAddress(this.server, API_PORT);
  }

  close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return Promise.resolve();
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  }

  private forward(socket: net.Socket): void {
    const target = this.target();
    if (!target) return void socket.destroy();
    const host = target.host === "0.0.0.0" || target.host === "::" ? "127.0.0.1" : target.host;
    const upstream = net.connect(target.port, host);
    for (const s of [socket, upstream]) {
      this.sockets.add(s);
      s.once("close", () => this.sockets.delete(s));
      s.on("error", () => {
        socket.destroy();
        upstream.destroy();
      });
    }
    socket.pipe(upstream).pipe(socket);
  }
}
