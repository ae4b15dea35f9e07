import type { IncomingMessage, Server } from 'node:http';

/**
 * Idle keep-alive connections stay open this long (Node's default is 5 s). The SDK clients reuse pooled
 * sockets; when the server closes one just as a client picks it up, the request dies with ECONNRESET.
 * Tests run client and server in one process, where a busy machine or a long synchronous step (seeding
 * 100,000 executions) can stall the event loop past 5 s and make that race likely. stop() closes all
 * connections, so a long timeout never holds a shutdown up.
 */
export const KEEP_ALIVE_TIMEOUT_MS = 120_000;

/** Applies KEEP_ALIVE_TIMEOUT_MS (and a matching headers timeout, which must exceed it). */
export function keepConnectionsAlive(server: Server): Server {
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = KEEP_ALIVE_TIMEOUT_MS + 1000;
  return server;
}

/** The whole request body as UTF-8 text. */
export function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}
