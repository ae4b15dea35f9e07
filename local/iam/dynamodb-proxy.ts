/**
 * A thin authorizing HTTP proxy in front of DynamoDB Local, which is a separate process that checks no
 * IAM. Each request's X-Amz-Target names the action and its body the table(s); an allowed request is
 * forwarded unchanged, a refused one answered as DynamoDB answers it (HTTP 400, JSON 1.0).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DynamoDbLocal } from '../dynamodb-local';
import { keepConnectionsAlive, readBody } from '../http-body';
import { deniedMessage, INVALID_TOKEN_MESSAGE, type IamAuthorizer } from './authorizer';
import { dynamoDbChecks } from './request-checks';

const TARGET_PREFIX = 'DynamoDB_20120810.';

export class AuthorizingDynamoDbProxy {
  private constructor(
    private readonly server: Server,
    readonly endpoint: string,
  ) {}

  /** Listens on 127.0.0.1 (port 0: a free one) and forwards to `upstream` (DynamoDB Local's endpoint). */
  static async start(upstream: string, authorizer: IamAuthorizer, port = 0): Promise<AuthorizingDynamoDbProxy> {
    const server = keepConnectionsAlive(createServer((request, response) => void serve(request, response, upstream, authorizer)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    return new AuthorizingDynamoDbProxy(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

async function serve(request: IncomingMessage, response: ServerResponse, upstream: string, authorizer: IamAuthorizer): Promise<void> {
  const body = await readBody(request);
  const target = String(request.headers['x-amz-target'] ?? '');
  if (target.startsWith(TARGET_PREFIX)) {
    let input: Record<string, unknown> = {};
    try {
      input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      // DynamoDB Local answers malformed JSON itself.
    }
    const result = await authorizer.authorize(request.headers.authorization, dynamoDbChecks(target.slice(TARGET_PREFIX.length), input));
    if (!result.allowed) {
      const refusal = result.unknownKey
        ? { __type: 'com.amazon.coral.service#UnrecognizedClientException', message: INVALID_TOKEN_MESSAGE }
        : { __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', message: deniedMessage(result) };
      response.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(JSON.stringify(refusal));
      return;
    }
  }
  forward(request, body, response, upstream);
}

function forward(request: IncomingMessage, body: string, response: ServerResponse, upstream: string): void {
  const url = new URL(request.url ?? '/', upstream);
  const proxied = httpRequest(url, { method: request.method, headers: { ...request.headers, host: url.host } }, (reply) => {
    response.writeHead(reply.statusCode ?? 502, reply.headers);
    reply.pipe(response);
  });
  proxied.on('error', (error) => {
    // DynamoDB Local is down (a test restarts it): the caller sees a dropped connection, as it would without the proxy.
    response.destroy(error);
  });
  proxied.end(body);
}

/** DynamoDB Local as callers see it through the proxy: the proxy's endpoint, the JVM's process controls. */
export function behindProxy(dynamo: DynamoDbLocal, proxy: AuthorizingDynamoDbProxy): DynamoDbLocal {
  return {
    endpoint: proxy.endpoint,
    port: Number(new URL(proxy.endpoint).port),
    get pid() {
      return dynamo.pid;
    },
    // Straight to the JVM, as before: tests that read or prepare tables behind the stack's back.
    createClient: () => dynamo.createClient(),
    stop: () => dynamo.stop(),
    kill: () => dynamo.kill(),
    restart: () => dynamo.restart(),
  };
}
