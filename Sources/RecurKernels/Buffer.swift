/// A fixed-size, zero-initialised, heap-allocated array of scalars with a stable address.
///
/// Workspaces allocate these once per shape and reuse them for every step, so hot loops run on raw
/// pointers with no allocation and no copy-on-write checks. Not `Sendable`: a buffer belongs to one task.
public final class Buffer<S: KernelScalar> {
    public let pointer: UnsafeMutablePointer<S>
    public let count: Int

    public init(count: Int) {
        self.count = count
        pointer = .allocate(capacity: Swift.max(count, 1))
        pointer.initialize(repeating: 0, count: Swift.max(count, 1))
    }

    deinit { pointer.deallocate() }

    public func zero() { pointer.update(repeating: 0, count: count) }

    public subscript(i: Int) -> S {
        get { pointer[i] }
        set { pointer[i] = newValue }
    }

    public var array: [S] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
