/** Colours only on a TTY and never with NO_COLOR (https://no-color.org) nor in CI (unless FORCE_COLOR). */
export function useColor(stream: NodeJS.WriteStream = process.stdout): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== '0') return true;
  if (process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0') return false;
  return Boolean(stream.isTTY);
}
