/** Splits nunjucks' call arguments: its keyword arguments come as a last object marked __keywords. */
export function keywordArgs(args: unknown[]): { args: unknown[]; kwargs: Record<string, unknown> } {
  const last = args[args.length - 1] as { __keywords?: boolean } | undefined;
  if (last && typeof last === 'object' && last.__keywords) {
    const { __keywords: _, ...kwargs } = last as Record<string, unknown>;
    return { args: args.slice(0, -1), kwargs };
  }
  return { args, kwargs: {} };
}
