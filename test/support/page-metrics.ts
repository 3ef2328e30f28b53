// What a page holds and how smoothly it draws, read over the DevTools protocol: DOM nodes, event
// listeners and JS heap after a forced GC, detached nodes, and frames per second.
/// <reference lib="dom" />
import type { CDPSession, Page } from 'playwright-core';

export interface PageReading {
  /** Elements in the document (attached to the tree). */
  elements: number;
  /** Every live DOM node of the renderer, text and detached nodes included (Memory.getDOMCounters). */
  nodes: number;
  /** JS event listeners registered anywhere in the renderer (Memory.getDOMCounters). */
  listeners: number;
  documents: number;
  /** Nodes no longer in a document that something still holds; null where the browser cannot say. */
  detached: number | null;
  /** V8 heap in use after a forced full GC, bytes. */
  heapUsed: number;
}

export interface FrameReading {
  fps: number;
  frames: number;
  worstFrameMs: number;
}

/** A DevTools session on `page` and the readings taken through it. */
export class PageMetrics {
  private constructor(
    private readonly page: Page,
    private readonly cdp: CDPSession,
  ) {}

  static async attach(page: Page): Promise<PageMetrics> {
    return new PageMetrics(page, await page.context().newCDPSession(page));
  }

  /** Collects garbage (twice: weak references and finalizers free more on the second pass). */
  async collectGarbage(): Promise<void> {
    await this.cdp.send('HeapProfiler.collectGarbage');
    await this.cdp.send('HeapProfiler.collectGarbage');
  }

  /**
   * What the page holds: the least of `samples` readings, field by field. A page that keeps
   * streaming makes garbage between the GC and the counters (and Blink sweeps dead nodes lazily),
   * which only ever adds, so the least is the closest to what is live.
   */
  async held(samples = 3): Promise<PageReading> {
    const readings: PageReading[] = [];
    for (let i = 0; i < samples; i++) readings.push(await this.read());
    const least = (f: (r: PageReading) => number) => Math.min(...readings.map(f));
    const detached = readings.map((r) => r.detached).filter((d): d is number => d !== null);
    return {
      elements: least((r) => r.elements),
      nodes: least((r) => r.nodes),
      listeners: least((r) => r.listeners),
      documents: least((r) => r.documents),
      detached: detached.length ? Math.min(...detached) : null,
      heapUsed: least((r) => r.heapUsed),
    };
  }

  /** One reading, after a forced GC so that what is counted is what is held. */
  async read(): Promise<PageReading> {
    await this.collectGarbage();
    const counters = await this.cdp.send('Memory.getDOMCounters');
    const heap = await this.cdp.send('Runtime.getHeapUsage');
    const elements = await this.page.evaluate(() => document.getElementsByTagName('*').length);
    return {
      elements,
      nodes: counters.nodes,
      listeners: counters.jsEventListeners,
      documents: counters.documents,
      detached: await this.detachedNodes(),
      heapUsed: heap.usedSize,
    };
  }

  /** Frames the page draws over `ms` of requestAnimationFrame callbacks. */
  frames(ms: number): Promise<FrameReading> {
    return this.page.evaluate(
      (duration) =>
        new Promise<FrameReading>((resolve) => {
          let frames = 0;
          let worst = 0;
          let start = 0;
          let prev = 0;
          const step = (t: number) => {
            if (!start) start = prev = t;
            else {
              frames++;
              worst = Math.max(worst, t - prev);
              prev = t;
            }
            if (t - start < duration) requestAnimationFrame(step);
            else resolve({ fps: (frames * 1000) / (t - start), frames, worstFrameMs: worst });
          };
          requestAnimationFrame(step);
        }),
      ms,
    );
  }

  async detach(): Promise<void> {
    await this.cdp.detach();
  }

  /** DOM.getDetachedDomNodes is experimental (Chromium 126+): null where it is missing. */
  private async detachedNodes(): Promise<number | null> {
    try {
      await this.cdp.send('DOM.enable');
      const { detachedNodes } = await this.cdp.send('DOM.getDetachedDomNodes');
      return detachedNodes.length;
    } catch {
      return null;
    }
  }
}

/** A reading's difference from an earlier one, field by field. */
export function growth(before: PageReading, after: PageReading): Record<keyof PageReading, number> {
  return {
    elements: after.elements - before.elements,
    nodes: after.nodes - before.nodes,
    listeners: after.listeners - before.listeners,
    documents: after.documents - before.documents,
    detached: (after.detached ?? 0) - (before.detached ?? 0),
    heapUsed: after.heapUsed - before.heapUsed,
  };
}
