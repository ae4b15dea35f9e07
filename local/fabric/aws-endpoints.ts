/**
 * One local HTTP endpoint for SQS (AWS JSON 1.0), SNS (Query) and Secrets Manager (JSON 1.1), so the
 * official SDK v3 clients work unmodified: only `endpoint` and dummy credentials differ from AWS.
 * Requests are routed by X-Amz-Target (JSON protocols) or the form's Action (Query protocol).
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { StackClock } from '../clock';
import { DUMMY_CREDENTIALS } from '../dynamodb-local';
import { LOCAL_REGION } from './aws-names';
import { parseQueryBody, queryErrorResponse, queryResponse } from './query-protocol';
import { SecretsManagerError, SecretsService } from './secrets-service';
import { SnsError, SnsService } from './sns-service';
import { SqsError } from './sqs-errors';
import { SqsService } from './sqs-service';
import { keepConnectionsAlive, readBody } from '../http-body';
import { deniedMessage, INVALID_TOKEN_MESSAGE, type IamAuthorizer, type IamCheck } from '../iam/authorizer';
import { secretsManagerChecks, snsChecks, sqsChecks } from '../iam/request-checks';

const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
const SQS_TARGET_PREFIX = 'AmazonSQS.';
const SECRETS_TARGET_PREFIX = 'secretsmanager.';

export interface LocalAwsEndpointsOptions {
  clock: StackClock;
  /** @default a free port */
  port?: number;
  /** @default 127.0.0.1 */
  host?: string;
  /** Evaluates every call against the caller's IAM policy. @default every call is allowed */
  authorizer?: IamAuthorizer;
}

/** What an SDK v3 client needs to talk to the local endpoint. */
export interface LocalClientConfig {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
}

interface HttpReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export class LocalAwsEndpoints {
  readonly sqs: SqsService;
  readonly sns: SnsService;
  readonly secrets: SecretsService;
  /** Requests served, by service, for tests. */
  readonly requestCounts = { sqs: 0, sns: 0, secretsManager: 0 };
  private readonly server: Server;
  /** Ends pending long polls when the server stops. */
  private readonly shutdown = new AbortController();
  private baseUrl = '';

  private constructor(
    clock: StackClock,
    private readonly authorizer: IamAuthorizer | undefined,
  ) {
    this.sqs = new SqsService(clock);
    this.sns = new SnsService(clock);
    this.secrets = new SecretsService(clock);
    this.server = keepConnectionsAlive(createServer((request, response) => void this.serve(request, response)));
  }

  static async start(options: LocalAwsEndpointsOptions): Promise<LocalAwsEndpoints> {
    const endpoints = new LocalAwsEndpoints(options.clock, options.authorizer);
    const host = options.host ?? '127.0.0.1';
    await new Promise<void>((resolve, reject) => {
      endpoints.server.once('error', reject);
      endpoints.server.listen(options.port ?? 0, host, () => resolve());
    });
    const { port } = endpoints.server.address() as AddressInfo;
    endpoints.baseUrl = `http://${host}:${port}`;
    endpoints.sqs.baseUrl = endpoints.baseUrl;
    return endpoints;
  }

  get url(): string {
    return this.baseUrl;
  }

  clientConfig(): LocalClientConfig {
    return { endpoint: this.baseUrl, region: LOCAL_REGION, credentials: DUMMY_CREDENTIALS };
  }

  async stop(): Promise<void> {
    this.shutdown.abort();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const target = String(request.headers['x-amz-target'] ?? '');
    const requestId = randomUUID();
    let reply: HttpReply;
    try {
      const authorization = request.headers.authorization;
      if (target.startsWith(SQS_TARGET_PREFIX)) {
        this.requestCounts.sqs++;
        const operation = target.slice(SQS_TARGET_PREFIX.length);
        const input = parseJson(body);
        reply = (await this.refuseSqs(authorization, sqsChecks(operation, input))) ?? (await this.serveSqs(operation, input));
      } else if (target.startsWith(SECRETS_TARGET_PREFIX)) {
        this.requestCounts.secretsManager++;
        const operation = target.slice(SECRETS_TARGET_PREFIX.length);
        const input = parseJson(body);
        const checks = secretsManagerChecks(operation, input, (id) => this.secrets.arnOf(id));
        reply = (await this.refuseSecrets(authorization, checks, String(input.SecretId ?? input.Name ?? ''))) ?? this.serveSecrets(operation, input);
      } else {
        this.requestCounts.sns++;
        const params = parseQueryBody(body);
        reply = (await this.refuseSns(authorization, snsChecks(params.Action, params), requestId)) ?? this.serveSns(params, requestId);
      }
    } catch (error) {
      reply = jsonReply(500, '1.0', { __type: 'InternalFailure', message: String(error) });
    }
    response.writeHead(reply.status, { ...reply.headers, 'x-amzn-RequestId': requestId });
    response.end(reply.body);
  }

  private async serveSqs(operation: string, input: Record<string, unknown>): Promise<HttpReply> {
    try {
      const output = await this.sqs.handle(operation, input, this.shutdown.signal);
      return jsonReply(200, '1.0', output);
    } catch (error) {
      if (!(error instanceof SqsError)) throw error;
      return sqsErrorReply(error);
    }
  }

  private serveSecrets(operation: string, input: Record<string, unknown>): HttpReply {
    try {
      return jsonReply(200, '1.1', this.secrets.handle(operation, input));
    } catch (error) {
      if (!(error instanceof SecretsManagerError)) throw error;
      return jsonReply(400, '1.1', { __type: error.name, message: error.message });
    }
  }

  private serveSns(params: Record<string, string>, requestId: string): HttpReply {
    try {
      return xmlReply(200, queryResponse(params.Action, SNS_XML_NAMESPACE, this.sns.handle(params.Action, params), requestId));
    } catch (error) {
      if (!(error instanceof SnsError)) throw error;
      return xmlReply(error.httpStatus, queryErrorResponse(SNS_XML_NAMESPACE, error.code, error.message, requestId));
    }
  }

  /**
   * SQS refuses with 403 and the query error codes AccessDenied / InvalidClientTokenId, and spells the
   * action in lower case in its message (`sqs:sendmessage`).
   */
  private async refuseSqs(authorization: string | undefined, checks: IamCheck[]): Promise<HttpReply | undefined> {
    const result = await this.authorizer?.authorize(authorization, checks);
    if (!result || result.allowed) return undefined;
    return sqsErrorReply(
      result.unknownKey
        ? new SqsError('InvalidClientTokenId', INVALID_TOKEN_MESSAGE, 'com.amazon.coral.service#UnrecognizedClientException', 'InvalidClientTokenId', 403)
        : new SqsError('AccessDenied', deniedMessage(result, { action: result.action.toLowerCase() }), 'com.amazon.coral.service#AccessDeniedException', 'AccessDenied', 403),
    );
  }

  /** Secrets Manager refuses with 400 and names the secret as the caller gave it. */
  private async refuseSecrets(authorization: string | undefined, checks: IamCheck[], secretId: string): Promise<HttpReply | undefined> {
    const result = await this.authorizer?.authorize(authorization, checks);
    if (!result || result.allowed) return undefined;
    return result.unknownKey
      ? jsonReply(400, '1.1', { __type: 'UnrecognizedClientException', message: INVALID_TOKEN_MESSAGE })
      : jsonReply(400, '1.1', { __type: 'AccessDeniedException', message: deniedMessage(result, { resource: secretId || result.resource }) });
  }

  /** SNS (Query protocol) refuses with 403 AuthorizationError / InvalidClientTokenId and writes the action `SNS:Publish`. */
  private async refuseSns(authorization: string | undefined, checks: IamCheck[], requestId: string): Promise<HttpReply | undefined> {
    const result = await this.authorizer?.authorize(authorization, checks);
    if (!result || result.allowed) return undefined;
    const [code, message] = result.unknownKey
      ? ['InvalidClientTokenId', INVALID_TOKEN_MESSAGE]
      : ['AuthorizationError', deniedMessage(result, { action: result.action.replace(/^sns:/, 'SNS:') })];
    return xmlReply(403, queryErrorResponse(SNS_XML_NAMESPACE, code, message, requestId));
  }
}

function sqsErrorReply(error: SqsError): HttpReply {
  const reply = jsonReply(error.httpStatus, '1.0', { __type: error.wireType, message: error.message });
  // The SDK's query-compatible mode maps this header to the modeled exception.
  reply.headers['x-amzn-query-error'] = `${error.queryErrorCode};Sender`;
  return reply;
}

function xmlReply(status: number, text: string): HttpReply {
  return { status, headers: { 'content-type': 'text/xml' }, body: text };
}

function jsonReply(status: number, jsonVersion: '1.0' | '1.1', output: unknown): HttpReply {
  return {
    status,
    headers: { 'content-type': `application/x-amz-json-${jsonVersion}` },
    body: JSON.stringify(output),
  };
}

function parseJson(body: string): Record<string, unknown> {
  return body ? (JSON.parse(body) as Record<string, unknown>) : {};
}
