import { VitrineError, describeIssues } from '@vitrine/shared';
import type { z } from 'zod';

/** Parses `value` with `schema`, throwing `invalid_request` with one sentence per bad field. */
export function parseBody<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new VitrineError(
      'invalid_request',
      `The request is not valid: ${describeIssues(result.error)}.`,
      {
        details: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
      },
    );
  }
  return result.data;
}
