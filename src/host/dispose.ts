/**
 * Explicit lifetimes for host objects (hexeditor's dispose trio, minus what we do not use yet).
 * Structural types, so this file needs no `vscode` import and any `{ dispose() }` fits.
 */
export interface IDisposable {
  dispose(): unknown;
}

/** Disposes every item, last registered first, and empties the list. */
export function disposeAll(disposables: IDisposable[]): void {
  while (disposables.length > 0) {
    disposables.pop()?.dispose();
  }
}

/** Base for objects that own other disposables: register them once, release them all on dispose. */
export abstract class Disposable implements IDisposable {
  private disposed = false;
  private readonly _disposables: IDisposable[] = [];

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeAll(this._disposables);
  }

  /** Takes ownership of `value`; a value registered after disposal is disposed at once. */
  protected _register<T extends IDisposable>(value: T): T {
    if (this.disposed) {
      value.dispose();
    } else {
      this._disposables.push(value);
    }
    return value;
  }
}
