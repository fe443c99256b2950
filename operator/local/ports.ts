/**
 * Loopback ports for the components. Free ports come from the kernel (bind to port 0),
 * so parallel clusters never collide; a port the caller insists on is checked up front
 * so "already in use" is reported before anything starts.
 */
import { createServer } from "node:net";
import { LocalClusterError } from "./errors.ts";

export const LOOPBACK = "127.0.0.1";

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ port, host: LOOPBACK, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === "object" && address ? address.port : port;
      server.close(() => {
        resolve(bound);
      });
    });
  });
}

export function freePort(): Promise<number> {
  return listenOnce(0);
}

export async function assertPortFree(port: number, purpose: string): Promise<void> {
  try {
    await listenOnce(port);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new LocalClusterError(
      code === "EADDRINUSE"
        ? `port ${port} on ${LOOPBACK} (${purpose}) is already in use by another process`
        : `port ${port} on ${LOOPBACK} (${purpose}) cannot be used: ${String(error)}`,
      `choose another port, or leave it unset to get a free one`,
      { cause: error },
    );
  }
}
