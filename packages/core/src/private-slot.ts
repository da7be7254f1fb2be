/** One value per object, readable only through the slot that put it there (see {@link privateSlot}). */
export interface PrivateSlot<T> {
  get(target: object): T | undefined;
  set(target: object, value: T): void;
}

/**
 * A slot that attaches a value to any object as a class private field (a base class whose
 * constructor returns the target lets a subclass install its `#field` on an object it did not
 * create). Why not a WeakMap: on the request path a WeakMap costs an identity hash and an
 * ephemeron table entry per fresh object, which the garbage collector then has to walk; a private
 * field is an ordinary property store on the object. Why not a Symbol property: spreads,
 * `Object.assign` and deep-equality checks see symbols; nothing outside the slot sees a private
 * field, and it goes away with the object. Objects that refuse new fields (some frozen objects in
 * newer engines) fall back to a WeakMap.
 *
 * Adapters use it to keep what a request loaded next to the framework's session object.
 * @example
 * const loads = privateSlot<LoadedSession>();
 * loads.set(req.session, load);   // invisible to JSON.stringify, spreads and the app
 * loads.get(req.session);         // the load, or undefined for an object never given one
 */
export function privateSlot<T>(): PrivateSlot<T> {
  class Target {
    constructor(target: object) {
      // The returned object becomes `this` of the subclass, which installs its field there.
      // biome-ignore lint/correctness/noConstructorReturn: the return override is what installs the field
      return target as Target;
    }
  }
  class Slot extends Target {
    #value: T;
    constructor(target: object, value: T) {
      super(target);
      this.#value = value;
    }
    static has(target: object): target is Slot {
      return #value in target;
    }
    static read(target: Slot): T {
      return target.#value;
    }
    static write(target: Slot, value: T): void {
      target.#value = value;
    }
  }
  const fallback = new WeakMap<object, T>();
  return {
    get: (target) => (Slot.has(target) ? Slot.read(target) : fallback.get(target)),
    set: (target, value) => {
      if (Slot.has(target)) return Slot.write(target, value);
      try {
        new Slot(target, value);
      } catch {
        fallback.set(target, value);
      }
    },
  };
}
