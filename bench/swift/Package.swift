// swift-tools-version: 6.1
// swifttune's Swift-native benchmarks (ordo-one's package-benchmark), a package of their own so
// that the core library keeps no dependencies. `make bench-swift` runs them:
//   cd bench/swift && swift package --disable-sandbox benchmark
import PackageDescription

let package = Package(
    name: "SwiftTuneBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "swifttune", path: "../.."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "SwiftTuneBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "SwiftTune", package: "swifttune"),
            ],
            path: "Benchmarks/SwiftTuneBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
    ]
)
