/** An AWS API error as a local endpoint answers it: the error code, a message and the HTTP status. */
export class LocalApiError extends Error {
  constructor(
    /** The protocol's error code (`__type` in JSON, `Code` in Query), also used as `name`. */
    readonly code: string,
    message: string,
    readonly httpStatus = 400,
  ) {
    super(message);
    this.name = code;
  }
}
