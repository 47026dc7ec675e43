// swift-tools-version: 6.0
import PackageDescription

// `make sanitize-thread` sets SWIFTTUNE_TSAN: the locks then tell ThreadSanitizer about their
// critical sections (Sources/SwiftTune/Concurrency/Locked.swift). Nothing else changes.
let sanitizerSettings: [SwiftSetting] = Context.environment["SWIFTTUNE_TSAN"] == "1" ? [.define("SWIFTTUNE_TSAN")] : []

let package = Package(
    name: "swifttune",
    products: [
        .library(name: "SwiftTune", targets: ["SwiftTune"]),
        // libswifttune.so: the C ABI (include/swifttune.h), for C programs and Python's ctypes.
        .library(name: "swifttune", type: .dynamic, targets: ["CSwiftTune"]),
        .executable(name: "swifttune-demo", targets: ["swifttune-demo"]),
        .executable(name: "swifttune-scale", targets: ["swifttune-scale"]),
    ],
    targets: [
        // The core: search spaces, random search and TPE. No package dependencies, no Foundation.
        .target(name: "SwiftTune", swiftSettings: sanitizerSettings),
        // The C boundary: @c functions that convert arguments and call the core; nothing else.
        .target(name: "CSwiftTune", dependencies: ["SwiftTune"]),
        // `make demo`: tunes the seed tutorial's objective with TPE.
        .executableTarget(name: "swifttune-demo", dependencies: ["SwiftTune"]),
        // `make bench-scale`: a 100,000-trial experiment journalled to disk, and its restore.
        .executableTarget(name: "swifttune-scale", dependencies: ["SwiftTune"]),
        .testTarget(name: "SwiftTuneTests", dependencies: ["SwiftTune"]),
    ],
    swiftLanguageModes: [.v6]
)
