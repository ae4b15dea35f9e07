/** Option value parsers: a bad value is a usage error (exit 2) that names the option. */
import { CliError } from './errors';

export function positiveInt(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new CliError(`${option} must be a whole number of at least 1, not ${JSON.stringify(value)}`);
    return n;
  };
}

export function nonNegativeInt(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 0) throw new CliError(`${option} must be a whole number, not ${JSON.stringify(value)}`);
    return n;
  };
}

export function positiveNumber(option: string): (value: string) => number {
  return (value) => {
    const n = Number(value);
    if (!Number.isFinite(n) || n <= 0) throw new CliError(`${option} must be a positive number, not ${JSON.stringify(value)}`);
    return n;
  };
}
