/**
 * The package entry (`import { AutoRedrive } from 'sfn-autoredrive'`): the construct, its props, a
 * ready-made stack, and the config schema every option is validated by.
 */
export { AutoRedrive, DECISION_METRICS } from './auto-redrive';
export type { AutoRedriveProps } from './auto-redrive-props';
export { AutoRedriveStack, type AutoRedriveStackProps } from './auto-redrive-stack';
export {
  configSchema,
  parseConfig,
  parseConfigJson,
  ConfigError,
  DEFAULT_NEVER_RETRY,
  WATCHABLE_STATUSES,
  type AutoRedriveConfig,
  type AutoRedriveConfigInput,
  type WatchableStatus,
} from '../core/config';
