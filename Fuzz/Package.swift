// swift-tools-version: 6.0
// libFuzzer targets for the code that reads hostile input (docs/fuzzing.md). A package of its own,
// so the main build and its tests never compile them; `scripts/fuzz` builds and runs them.
import PackageDescription

let switchboard = "Switchboard"
func module(_ name: String) -> Target.Dependency { .product(name: name, package: switchboard) }

let package = Package(
    name: "SwitchboardFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: switchboard, path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    ],
    targets: [
        // libFuzzer's driver, declared for Swift (the runtime comes from compiler-rt at link time).
        .target(name: "CFuzzDriver"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzDriver"]),
        .target(name: "FuzzCodecSupport", dependencies: [module("SwitchboardCore")]),

        .executableTarget(
            name: "fuzz-framed-codec",
            dependencies: ["FuzzSupport", "FuzzCodecSupport", module("SwitchboardCore"), module("SwitchboardWire")]),
        .executableTarget(
            name: "fuzz-envelope-codec", dependencies: ["FuzzSupport", "FuzzCodecSupport", module("SwitchboardCore")]),
        .executableTarget(name: "fuzz-form-body", dependencies: ["FuzzSupport", module("SwitchboardWire")]),
        .executableTarget(
            name: "fuzz-route",
            dependencies: [
                "FuzzSupport", module("SwitchboardCore"), module("SwitchboardWire"), module("SwitchboardServer"),
                module("SwitchboardWebSocket"), module("SwitchboardFlashSocket"), module("SwitchboardXHRPolling"),
                module("SwitchboardJSONPPolling"), module("SwitchboardHTMLFile"), module("SwitchboardXHRMultipart"),
                module("SwitchboardServerEvents"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ]),
        .executableTarget(name: "fuzz-hixie76", dependencies: ["FuzzSupport", module("SwitchboardWire")]),
        .executableTarget(
            name: "fuzz-websocket",
            dependencies: [
                "FuzzSupport", module("SwitchboardCore"), module("SwitchboardWire"), module("SwitchboardWebSocket"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"), .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "fuzz-wrapped-payload",
            dependencies: ["FuzzSupport", module("SwitchboardCore"), module("SwitchboardWire"), module("SwitchboardClient")]),
        .executableTarget(name: "fuzz-spec-loader", dependencies: ["FuzzSupport", module("SwitchboardSpec")]),
    ],
    swiftLanguageModes: [.v6]
)
