/** A Lambda Function URL's event, as AWS builds it for an HTTP request, for handlers run in the local stack. */
import type { LambdaFunctionURLEvent } from 'aws-lambda';

export function functionUrlEvent(request: { method?: string; headers: Record<string, string>; rawBody: string }, nowMs: number): LambdaFunctionURLEvent {
  const method = request.method ?? 'POST';
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: '/',
    rawQueryString: '',
    // Function URLs lower-case header names.
    headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value])),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'local',
      http: { method, path: '/', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'Slackbot 1.0 (+https://api.slack.com/robots)' },
      requestId: `local-${nowMs}`,
      routeKey: '$default',
      stage: '$default',
      time: new Date(nowMs).toISOString(),
      timeEpoch: nowMs,
    },
    body: request.rawBody,
    isBase64Encoded: false,
  };
}
