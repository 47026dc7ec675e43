import Synchronization

#if SWIFTTUNE_TSAN
// ThreadSanitizer's annotations (compiler-rt's tsan_interface.h). On Linux the Synchronization
// module's `Mutex` waits on a futex in code ThreadSanitizer does not instrument, so it sees no
// order between two critical sections and reports their accesses as races. `make sanitize`
// builds with SWIFTTUNE_TSAN set, and each critical section then acquires and releases the lock's
// address in ThreadSanitizer's model as well.
@_silgen_name("__tsan_acquire") private func tsanAcquire(_ address: UnsafeRawPointer)
@_silgen_name("__tsan_release") private func tsanRelease(_ address: UnsafeRawPointer)
#endif

/// A value behind a lock, shared by reference: ``withLock(_:)`` runs a closure with exclusive
/// access to it. It is the Synchronization module's `Mutex` (which it forwards to), in a class,
/// and visible to ThreadSanitizer in `make sanitize`'s build.
public final class Locked<Value: ~Copyable>: Sendable {
    private let mutex: Mutex<Value>

    /// A lock holding `value`.
    public init(_ value: consuming sending Value) {
        mutex = Mutex(value)
    }

    /// Runs `body` with exclusive access to the value, and returns what it returns.
    public func withLock<Result: ~Copyable, E: Error>(
        _ body: (inout sending Value) throws(E) -> sending Result
    ) throws(E) -> sending Result {
        #if SWIFTTUNE_TSAN
        let token = UnsafeRawPointer(Unmanaged.passUnretained(self).toOpaque())
        return try mutex.withLock { (value: inout sending Value) throws(E) -> sending Result in
            tsanAcquire(token)
            defer { tsanRelease(token) }
            return try body(&value)
        }
        #else
        return try mutex.withLock(body)
        #endif
    }
}
