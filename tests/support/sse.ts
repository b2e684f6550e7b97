/** A Server-Sent Events client over fetch (the agent console's live updates), for tests and the benchmark. */

export interface SseEvent {
  event: string;
  data: string;
  /** performance.now() when it arrived. */
  at: number;
}

export interface SseClient {
  events: SseEvent[];
  /** The first event (already received or still to come) that `pred` accepts. */
  waitFor(pred: (e: SseEvent) => boolean, ms?: number): Promise<SseEvent>;
  close(): void;
}

export async function openSse(url: string, headers: Record<string, string> = {}): Promise<SseClient> {
  const controller = new AbortController();
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers }, signal: controller.signal });
  if (res.status !== 200 || !res.body) throw new Error(`event stream refused: ${res.status}`);
  const events: SseEvent[] = [];
  const waiters: Array<(e: SseEvent) => boolean> = [];
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffer += value;
        let cut: number;
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).trim());
          }
          if (data.length === 0) continue;
          const e = { event, data: data.join('\n'), at: performance.now() };
          events.push(e);
          for (let i = 0; i < waiters.length; i++) if ((waiters[i] as (e: SseEvent) => boolean)(e)) waiters.splice(i--, 1);
        }
      }
    } catch {
      // Aborted by close().
    }
  })();
  return {
    events,
    waitFor(pred, ms = 15_000) {
      const seen = events.find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching event in ${ms} ms; got ${events.map((e) => e.event).join(',')}`)), ms);
        waiters.push((e) => {
          if (!pred(e)) return false;
          clearTimeout(timer);
          resolve(e);
          return true;
        });
      });
    },
    close: () => controller.abort(),
  };
}
