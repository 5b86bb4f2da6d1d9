export type Cleanup = (() => void) | void;

/**
 * Shows one page at a time and runs its cleanup when the next one is shown. A page may still be loading
 * when the user moves on (on a slow network the doctor accepts a call while the agenda loads, or leaves a
 * room that is still connecting): its cleanup then runs as soon as it is ready, and never takes the place
 * of the cleanup of the page on screen, so the room always stops the camera and leaves when it is left.
 */
export class PageSwitcher {
  private cleanup: Cleanup = undefined;
  private shown = 0;

  async show(render: () => Cleanup | Promise<Cleanup>): Promise<void> {
    const current = ++this.shown;
    const previous = this.cleanup;
    this.cleanup = undefined;
    if (typeof previous === "function") previous();
    const cleanup = await render();
    if (current === this.shown) this.cleanup = cleanup;
    else if (typeof cleanup === "function") cleanup(); // left before it finished loading
  }
}
