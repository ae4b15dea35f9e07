/**
 * The AWS Query protocol as SNS speaks it: form-encoded requests with dotted member paths
 * (`MessageAttributes.entry.1.Name`), XML responses wrapped in `<ActionResponse><ActionResult>`.
 */
export type QueryParams = Record<string, string>;

export function parseQueryBody(body: string): QueryParams {
  return Object.fromEntries(new URLSearchParams(body));
}

/** Values of a flattened list: `prefix.1.field`, `prefix.2.field`, ... → [{field}, ...]. */
export function queryList(params: QueryParams, prefix: string): QueryParams[] {
  const items = new Map<number, QueryParams>();
  for (const [key, value] of Object.entries(params)) {
    if (!key.startsWith(`${prefix}.`)) continue;
    const rest = key.slice(prefix.length + 1);
    const dot = rest.indexOf('.');
    const index = Number(dot === -1 ? rest : rest.slice(0, dot));
    if (!Number.isInteger(index)) continue;
    const item = items.get(index) ?? {};
    item[dot === -1 ? '' : rest.slice(dot + 1)] = value;
    items.set(index, item);
  }
  return [...items.entries()].sort(([a], [b]) => a - b).map(([, item]) => item);
}

export type XmlValue = string | number | boolean | undefined | XmlValue[] | { [name: string]: XmlValue };

/** Renders nested values; arrays become `<member>` lists as the Query protocol expects. */
export function toXml(name: string, value: XmlValue): string {
  if (value === undefined) return '';
  if (Array.isArray(value)) return `<${name}>${value.map((item) => toXml('member', item)).join('')}</${name}>`;
  if (typeof value === 'object') {
    return `<${name}>${Object.entries(value).map(([key, item]) => toXml(key, item)).join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

export function queryResponse(action: string, xmlNamespace: string, result: XmlValue, requestId: string): string {
  const resultXml = result === undefined ? '' : toXml(`${action}Result`, result);
  return `<${action}Response xmlns="${xmlNamespace}">${resultXml}<ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function queryErrorResponse(xmlNamespace: string, code: string, message: string, requestId: string, senderFault = true): string {
  const error = toXml('Error', { Type: senderFault ? 'Sender' : 'Receiver', Code: code, Message: message });
  return `<ErrorResponse xmlns="${xmlNamespace}">${error}<RequestId>${requestId}</RequestId></ErrorResponse>`;
}

function escapeXml(text: string): string {
  return text.replace(/[<>&'"\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}
