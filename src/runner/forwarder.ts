/**
 * The in-sandbox half of egress: the sandbox's network namespace has only loopback, so a tiny
 * forwarder started next to the job listens on 127.0.0.1:<port> and pipes every TCP connection to
 * the egress proxy's Unix socket (bound into the sandbox). It holds no policy; the proxy decides.
 */
import { chmodSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * `node forwarder.mjs <unix-socket-path> <port>`: dependency-free (node:net only). Prints `ready`
 * on stdout once listening; exits when stdin reaches EOF or on SIGTERM. The launcher MUST keep a
 * pipe open on the forwarder's stdin for as long as the job runs (stdin from /dev/null exits at once).
 * Half-closes are passed through, so a client that shuts down its sending side still gets its answer.
 */
export const FORWARDER_SOURCE = `// Bulwark egress forwarder: 127.0.0.1:<port> -> the egress proxy's Unix socket.
import net from "node:net";

const [socketPath, portText] = process.argv.slice(2);
const port = Number(portText);
if (!socketPath || !/^[0-9]+$/.test(portText ?? "") || port < 1 || port > 65535) {
  process.stderr.write("usage: node forwarder.mjs <unix-socket-path> <port>\\n");
  process.exit(2);
}

const server = net.createServer({ allowHalfOpen: true }, (client) => {
  const proxy = net.connect({ path: socketPath, allowHalfOpen: true });
  const drop = () => {
    client.destroy();
    proxy.destroy();
  };
  client.on("error", drop);
  proxy.on("error", drop);
  client.pipe(proxy);
  proxy.pipe(client);
});
server.on("error", (err) => {
  process.stderr.write("forwarder: " + err.message + "\\n");
  process.exit(1);
});
server.listen(port, "127.0.0.1", () => process.stdout.write("ready\\n"));

const stop = () => process.exit(0);
process.on("SIGTERM", stop);
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
`;

/** Writes {@link FORWARDER_SOURCE} to `<dir>/forwarder.mjs` (read-only, 0444) and returns its path. */
export function writeForwarder(dir: string): string {
  const path = join(dir, "forwarder.mjs");
  rmSync(path, { force: true });
  writeFileSync(path, FORWARDER_SOURCE, { mode: 0o444, flag: "wx" });
  chmodSync(path, 0o444);
  return path;
}
