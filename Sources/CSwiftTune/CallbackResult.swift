#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// Calls `body` with a trial id and a result as a callback of the caller's takes them: the id as
/// a C string, the names (sorted) and values as C arrays and their count (NULL, NULL and 0 for
/// an empty result). Everything is valid during the call only.
func withCResult(_ trialID: String, _ result: Metrics,
                 _ body: (UnsafePointer<CChar>, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Double>?, Int32) -> Int32) -> Int32 {
    let items = result.sorted { $0.key < $1.key }
    var names: [UnsafeMutablePointer<CChar>?] = items.map { strdup($0.key) }
    defer { for p in names { free(p) } }
    let values = items.map(\.value)
    return trialID.withCString { tid in
        names.withUnsafeMutableBufferPointer { n in
            guard let base = n.baseAddress, !items.isEmpty else { return body(tid, nil, nil, 0) }
            return base.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: n.count) { namesPtr in
                values.withUnsafeBufferPointer { v in body(tid, namesPtr, v.baseAddress, Int32(items.count)) }
            }
        }
    }
}
