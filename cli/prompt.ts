/** The y/N question on the terminal. Ctrl-C at the prompt answers "no", as typing n would. */
import { createInterface } from 'node:readline/promises';

export async function askYesNo(question: string, input: NodeJS.ReadableStream = process.stdin, output: NodeJS.WritableStream = process.stderr): Promise<boolean> {
  const rl = createInterface({ input, output });
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim());
  } catch (error) {
    // readline rejects the question with an AbortError on Ctrl-C (and on Ctrl-D at an empty line).
    if ((error as Error)?.name === 'AbortError') {
      output.write('\n');
      return false;
    }
    throw error;
  } finally {
    rl.close();
  }
}
