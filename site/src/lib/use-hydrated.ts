import { useEffect, useState } from 'react';

/**
 * False during server rendering and the hydration pass, true after. Islands that show
 * browser-only state (the cart in localStorage) render the server's markup until then, so
 * hydration never disagrees with the HTML.
 */
export function useHydrated(): boolean {
  const [hydrated, setHydrated] = useState(false);
  useEffect(() => setHydrated(true), []);
  return hydrated;
}
