/** `npm run demo`: sfn-autoredrive end to end on the embedded local stack. See local/demo/cli.ts. */
import { runDemoCli } from '../local/demo/cli';

// The SDK warns on Node 20 about its releases from 2027 on; that notice would break the live view.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

runDemoCli(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
