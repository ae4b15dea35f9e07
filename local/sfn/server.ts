/**
 * The AWS JSON 1.0 wire protocol: POST with `X-Amz-Target: AWSStepFunctions.<Operation>`, JSON bodies,
 * errors as `{"__type": code, "message"}` with 400 (client) or 5xx (fault) status.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SfnApiError } from './errors';
import { keepConnectionsAlive, readBody } from '../http-body';

export type OperationHandler = (operation: string, input: Record<string, unknown>) => Promise<unknown>;
/** Throws the error to answer with when the caller (by its Authorization header) may not make the call. */
export type CallAuthorizer = (authorization: string | undefined, operation: string, input: Record<string, unknown>) => Promise<void>;

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';

export class ProtocolServer {
  private server?: Server;

  constructor(
    private readonly handle: OperationHandler,
    private readonly authorize?: CallAuthorizer,
  ) {}

  async listen(port: number): Promise<string> {
    const server = keepConnectionsAlive(createServer((req, res) => void this.serve(req, res)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const requestId = randomUUID();
    try {
      const body = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      if (req.method !== 'POST' || !target.startsWith(TARGET_PREFIX)) {
        throw new SfnApiError('UnknownOperationException', `Unknown operation ${JSON.stringify(target)}`);
      }
      let input: unknown;
      try {
        input = body.length === 0 ? {} : JSON.parse(body);
      } catch {
        throw new SfnApiError('SerializationException', 'The request body is not valid JSON');
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        throw new SfnApiError('SerializationException', 'The request body must be a JSON object');
      }
      const operation = target.slice(TARGET_PREFIX.length);
      await this.authorize?.(req.headers.authorization, operation, input as Record<string, unknown>);
      const output = await this.handle(operation, input as Record<string, unknown>);
      send(res, 200, requestId, output ?? {});
    } catch (error) {
      const apiError =
        error instanceof SfnApiError ? error : new SfnApiError('InternalServerError', (error as Error)?.message ?? 'Internal error', 500);
      if (!(error instanceof SfnApiError)) console.error('sfn emulator: internal error', error);
      send(res, apiError.httpStatus, requestId, { __type: apiError.code, message: apiError.message });
    }
  }
}

function send(res: ServerResponse, status: number, requestId: string, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': CONTENT_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': requestId,
  });
  res.end(text);
}
