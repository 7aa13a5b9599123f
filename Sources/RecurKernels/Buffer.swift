/// A fixed-size, zero-initialised, heap-allocated array of scalars with a stable address.
///
/// Workspaces allocate these once per shape and reuse them for every step, so hot loops run on raw
/// pointers with no allocation and no copy-on-write checks. Not `Sendable`: a buffer belongs to one task.
package final class Buffer<S: KernelScalar> {
    package let pointer: UnsafeMutablePointer<S>
    package let count: Int

    package init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    deinit { pointer.deallocate() }

    package func zero() { pointer.update(repeating: 0, count: count) }

    package subscript(i: Int) -> S {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    package var array: [S] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
