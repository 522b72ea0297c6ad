import { useCallback, useEffect, useRef, useState } from 'react';
import type { Problem, Result, VitrineBridge } from '../../common/bridge.js';

/** A Problem raised in the renderer, so `catch` blocks can tell it from a bug. */
export class ProblemFailure extends Error {
  readonly problem: Problem;

  constructor(problem: Problem) {
    super(`${problem.what}: ${problem.cause}`);
    this.name = 'ProblemFailure';
    this.problem = problem;
  }
}

/** The preload's bridge; its absence means the page runs outside the app. */
export function vitrine(): VitrineBridge {
  const bridge = (window as Partial<Window>).vitrine;
  if (!bridge) {
    throw new ProblemFailure({
      what: 'Starting the admin app',
      cause: 'The page has no connection to the app (window.vitrine is missing).',
      action: 'Open the admin through the Vitrine desktop app, not in a browser.',
      code: 'no_bridge',
    });
  }
  return bridge;
}

/** Awaits a bridge call and returns its value, or throws its Problem. */
export async function call<T>(pending: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await pending;
  } catch (error) {
    // Main refused or crashed: the invoke itself rejected.
    throw new ProblemFailure({
      what: 'Talking to the app',
      cause: error instanceof Error ? error.message : String(error),
      action: 'Restart the app. If it keeps happening, report the message.',
      code: 'ipc_failed',
    });
  }
  if (!result.ok) throw new ProblemFailure(result.problem);
  return result.value;
}

export function asProblem(error: unknown, what: string): Problem {
  if (error instanceof ProblemFailure) return error.problem;
  return {
    what,
    cause: error instanceof Error ? error.message : String(error),
    action: 'Try again. If it keeps happening, restart the app.',
    code: 'app_error',
  };
}

/** Runs one action at a time and keeps its last Problem for display. */
export function useAction<A extends unknown[], T>(
  what: string,
  action: (...args: A) => Promise<T>,
): {
  run: (...args: A) => Promise<T | undefined>;
  busy: boolean;
  problem: Problem | null;
  clear: () => void;
} {
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const latest = useRef(action);
  latest.current = action;
  const mounted = useRef(true);
  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  const run = useCallback(
    async (...args: A) => {
      setBusy(true);
      setProblem(null);
      try {
        return await latest.current(...args);
      } catch (error) {
        if (mounted.current) setProblem(asProblem(error, what));
        return undefined;
      } finally {
        if (mounted.current) setBusy(false);
      }
    },
    [what],
  );
  return { run, busy, problem, clear: useCallback(() => setProblem(null), []) };
}
