/**
 * Task tokens of `.waitForTaskToken` Task states and the answers to them (SendTaskSuccess,
 * SendTaskFailure, SendTaskHeartbeat).
 * https://docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token
 *
 * A token is open from the moment the task state hands it out, so an answer that arrives before the
 * integration's own call returned (a fast worker) is kept for the task rather than lost. Errors, as
 * API_SendTaskSuccess lists them:
 * - not a token of ours at all: InvalidToken;
 * - ours, but its task closed (answered, timed out, failed, execution stopped, redriven): TaskTimedOut,
 *   "the task token has either expired or the task associated with the token has already been closed";
 * - ours in form but never issued by this emulator (e.g. one from before a restart): TaskDoesNotExist.
 */
import { SfnApiError } from './errors';

export type CallbackAnswer =
  | { kind: 'success'; output: unknown }
  | { kind: 'failure'; error: string; cause: string }
  | { kind: 'heartbeat' };

interface Slot {
  closed: boolean;
  listener?: (answer: CallbackAnswer) => void;
  /** A success or failure that came before anyone waited. */
  early?: CallbackAnswer;
  onClose: Array<() => void>;
}

interface TokenBody {
  executionArn: string;
  serial: number;
}

const TOKEN_PREFIX = 'AQ';

export class CallbackRegistry {
  private nextSerial = 1;
  private readonly slots = new Map<string, Slot>();

  /** A fresh token for one attempt of a callback task of `executionArn`. */
  issue(executionArn: string): string {
    const body: TokenBody = { executionArn, serial: this.nextSerial++ };
    const token = TOKEN_PREFIX + Buffer.from(JSON.stringify(body)).toString('base64url');
    this.slots.set(token, { closed: false, onClose: [] });
    return token;
  }

  /** Routes answers for `token` to `listener` (at once for one that came early), until `close(token)`. */
  listen(token: string, listener: (answer: CallbackAnswer) => void): void {
    const slot = this.slots.get(token)!;
    slot.listener = listener;
    if (slot.early) listener(slot.early);
  }

  /** Delivers an answer, or throws the API error AWS gives for this token. */
  answer(token: string, answer: CallbackAnswer): void {
    const slot = this.slots.get(token);
    if (!slot) {
      if (!isOurToken(token)) throw new SfnApiError('InvalidToken', `Invalid Token: 'Invalid token'`);
      throw new SfnApiError('TaskDoesNotExist', `Task Does Not Exist: 'Provided task does not exist'`);
    }
    if (slot.closed || slot.early) throw new SfnApiError('TaskTimedOut', `Task Timed Out: 'Provided task does not exist anymore'`);
    if (slot.listener) slot.listener(answer);
    else if (answer.kind !== 'heartbeat') slot.early = answer;
  }

  /** Runs `cleanup` when the token's task closes (e.g. to cancel scheduled mock answers). */
  onClose(token: string, cleanup: () => void): void {
    this.slots.get(token)?.onClose.push(cleanup);
  }

  close(token: string): void {
    const slot = this.slots.get(token);
    if (!slot || slot.closed) return;
    slot.closed = true;
    slot.listener = undefined;
    slot.early = undefined;
    for (const cleanup of slot.onClose.splice(0)) cleanup();
  }
}

function isOurToken(token: string): boolean {
  if (!token.startsWith(TOKEN_PREFIX)) return false;
  try {
    const body = JSON.parse(Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8')) as Partial<TokenBody>;
    return typeof body.executionArn === 'string' && Number.isInteger(body.serial);
  } catch {
    return false;
  }
}
