/** A controllable stand-in for XMLHttpRequest: tests drive progress, responses and aborts. */
type Listener = (e: ProgressEvent) => void;

class Target {
  private listeners = new Map<string, Listener[]>();
  addEventListener(type: string, fn: Listener) {
    this.listeners.set(type, [...(this.listeners.get(type) ?? []), fn]);
  }
  removeEventListener(type: string, fn: Listener) {
    this.listeners.set(type, (this.listeners.get(type) ?? []).filter((f) => f !== fn));
  }
  dispatch(type: string, init: { loaded?: number; total?: number; lengthComputable?: boolean } = {}) {
    const e = { type, loaded: init.loaded ?? 0, total: init.total ?? 0, lengthComputable: init.lengthComputable ?? true } as ProgressEvent;
    for (const fn of this.listeners.get(type) ?? []) fn(e);
  }
}

export class FakeXhr extends Target {
  static instances: FakeXhr[] = [];
  method = '';
  url = '';
  headers: Record<string, string> = {};
  body: FormData | null = null;
  status = 0;
  responseText = '';
  aborted = false;
  upload = new Target();

  constructor() {
    super();
    FakeXhr.instances.push(this);
  }
  open(method: string, url: string) {
    this.method = method;
    this.url = url;
  }
  setRequestHeader(k: string, v: string) {
    this.headers[k] = v;
  }
  send(body: FormData) {
    this.body = body;
  }
  abort() {
    this.aborted = true;
    this.dispatch('abort');
  }
  /** Test helpers */
  progress(loaded: number, total: number) {
    this.upload.dispatch('progress', { loaded, total });
  }
  respond(status: number, body: unknown) {
    this.status = status;
    this.responseText = typeof body === 'string' ? body : JSON.stringify(body);
    this.dispatch('load');
  }
  networkError() {
    this.dispatch('error');
  }

  static install() {
    FakeXhr.instances = [];
    vi.stubGlobal('XMLHttpRequest', FakeXhr);
  }
  static last(): FakeXhr {
    const x = FakeXhr.instances.at(-1);
    if (!x) throw new Error('no XMLHttpRequest was made');
    return x;
  }
}
