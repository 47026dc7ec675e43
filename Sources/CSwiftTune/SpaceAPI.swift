#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import SwiftTune

/// Reads a search space from its JSON document (docs/space-format.md) into a new handle.
/// On success `*out_space` owns a handle to free with `st_space_free`; on error it is set to NULL.
/// Returns `ST_OK`, or `ST_INVALID_ARGUMENT` (a NULL pointer), `ST_INVALID_JSON`, `ST_INVALID_SPACE`.
@c(st_space_from_json)
public func stSpaceFromJSON(_ json_text: UnsafePointer<CChar>?, _ out_space: UnsafeMutablePointer<OpaquePointer?>?) -> Int32 {
    api {
        let target = try out(out_space, "out_space")
        let space = try SearchSpace(json: json(json_text, "json_text"))
        target.pointee = retain(SpaceHandle(space))
        return .ST_OK
    }
}

/// Writes the space's JSON document into `*out_json`, a string the caller frees with `st_free`.
/// Returns `ST_OK` or `ST_INVALID_ARGUMENT`.
@c(st_space_to_json)
public func stSpaceToJSON(_ space: OpaquePointer?, _ out_json: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    api {
        let target = try out(out_json, "out_json")
        let s = try object(space, SpaceHandle.self, "space")
        target.pointee = try cString(s.space.json.serialized())
        return .ST_OK
    }
}

/// The number of parameters of the space (0 for a NULL or invalid handle, with a message).
@c(st_space_parameter_count)
public func stSpaceParameterCount(_ space: OpaquePointer?) -> Int32 {
    var count: Int32 = 0
    _ = api {
        count = Int32(try object(space, SpaceHandle.self, "space").space.parameters.count)
        return .ST_OK
    }
    return count
}

/// Frees a space handle. NULL is ignored.
@c(st_space_free)
public func stSpaceFree(_ space: OpaquePointer?) { release(space, SpaceHandle.self) }
