// The chart's colours, read from the page's CSS variables so they follow the light or dark theme.
import type { ChartColors } from './views/chart';

export function readColors(doc: Document): ChartColors {
  const css = getComputedStyle(doc.documentElement);
  const v = (name: string) => css.getPropertyValue(name).trim();
  return {
    background: v('--panel'),
    text: v('--muted'),
    grid: v('--grid'),
    up: v('--up'),
    down: v('--down'),
    upVolume: v('--up-soft'),
    downVolume: v('--down-soft'),
  };
}

/** Calls `apply` with fresh colours whenever the system switches scheme; returns the unsubscribe. */
export function onSchemeChange(doc: Document, apply: (c: ChartColors) => void): () => void {
  const media = (doc.defaultView ?? window).matchMedia?.('(prefers-color-scheme: dark)');
  if (!media) return () => undefined;
  const onScheme = () => apply(readColors(doc));
  media.addEventListener('change', onScheme);
  return () => media.removeEventListener('change', onScheme);
}
