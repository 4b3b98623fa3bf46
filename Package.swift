// swift-tools-version: 6.0
import PackageDescription

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
]
let crypto: Target.Dependency = .product(name: "Crypto", package: "swift-crypto")
let codegen: [Target.PluginUsage] = [.plugin(name: "SwitchboardCodegen")]
let specOnly: [Target.Dependency] = ["SwitchboardCore", .product(name: "NIOCore", package: "swift-nio")]
let allTransports: [Target.Dependency] = [
    "SwitchboardWebSocket", "SwitchboardFlashSocket", "SwitchboardXHRPolling", "SwitchboardJSONPPolling", "SwitchboardHTMLFile",
    "SwitchboardXHRMultipart", "SwitchboardServerEvents",
]

let package = Package(
    name: "Switchboard",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "SwitchboardWire", targets: ["SwitchboardWire"]),
        .library(name: "SwitchboardCore", targets: ["SwitchboardCore"]),
        .library(name: "SwitchboardServer", targets: ["SwitchboardServer"]),
        .library(name: "SwitchboardWebSocket", targets: ["SwitchboardWebSocket"]),
        .library(name: "SwitchboardFlashSocket", targets: ["SwitchboardFlashSocket"]),
        .library(name: "SwitchboardXHRPolling", targets: ["SwitchboardXHRPolling"]),
        .library(name: "SwitchboardJSONPPolling", targets: ["SwitchboardJSONPPolling"]),
        .library(name: "SwitchboardHTMLFile", targets: ["SwitchboardHTMLFile"]),
        .library(name: "SwitchboardXHRMultipart", targets: ["SwitchboardXHRMultipart"]),
        .library(name: "SwitchboardServerEvents", targets: ["SwitchboardServerEvents"]),
        .library(name: "SwitchboardStatic", targets: ["SwitchboardStatic"]),
        .library(name: "SwitchboardJSON", targets: ["SwitchboardJSON"]),
        .library(name: "SwitchboardSpec", targets: ["SwitchboardSpec"]),
        .library(name: "SwitchboardPostgres", targets: ["SwitchboardPostgres"]),
        .library(name: "SwitchboardHummingbird", targets: ["SwitchboardHummingbird"]),
        .executable(name: "hummingbird-chat", targets: ["hummingbird-chat"]),
        .executable(name: "switchboard", targets: ["switchboard"]),
        .executable(name: "switchboard-codegen", targets: ["switchboard-codegen"]),
        .executable(name: "switchboard-bench", targets: ["switchboard-bench"]),
        .library(name: "SwitchboardClient", targets: ["SwitchboardClient"]),
        .plugin(name: "SwitchboardCodegen", targets: ["SwitchboardCodegen"]),
        .plugin(name: "SwitchboardDocs", targets: ["SwitchboardDocs"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // The wire format both ends speak, byte for byte (docs/protocol.md): no dependencies, no
        // Foundation, so the code generator links it too. It hashes nothing: the handshakes' MD5
        // and SHA-1 come from swift-crypto, passed in by the modules that shake hands.
        .target(name: "SwitchboardWire"),

        // Code generation: specs in, typed Swift out.
        .target(
            name: "SwitchboardSpec",
            dependencies: [
                "SwitchboardWire",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Mustache", package: "swift-mustache"),
            ]
        ),
        .executableTarget(
            name: "switchboard-codegen",
            dependencies: [
                "SwitchboardSpec",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .plugin(name: "SwitchboardCodegen", capability: .buildTool(), dependencies: ["switchboard-codegen"]),
        .plugin(
            name: "SwitchboardDocs",
            capability: .command(
                intent: .custom(verb: "generate-docs", description: "Renders docs/ from Specs/ and Templates/docs/."),
                permissions: [.writeToPackageDirectory(reason: "writes the reference pages in docs/")]
            ),
            dependencies: ["switchboard-codegen"]
        ),

        // The session engine and the modules composed around it.
        .target(
            name: "SwitchboardCore",
            dependencies: nio + [
                "SwitchboardWire", .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
            ],
            plugins: codegen
        ),
        .target(name: "SwitchboardJSON", dependencies: ["SwitchboardCore"]),
        .target(
            name: "SwitchboardStatic",
            dependencies: nio + [.product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "SwitchboardServer",
            dependencies: nio + [
                "SwitchboardCore", "SwitchboardWire", "SwitchboardStatic",
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            resources: [.copy("Client")]
        ),
        .target(
            name: "SwitchboardWebSocket",
            dependencies: nio + [
                "SwitchboardCore", "SwitchboardWire", .product(name: "NIOWebSocket", package: "swift-nio"),
                crypto,
            ],
            plugins: codegen
        ),
        // flashsocket is the websocket transport on its own path (docs/protocol.md §6.2), plus the policy file.
        .target(
            name: "SwitchboardFlashSocket", dependencies: nio + ["SwitchboardWebSocket", "SwitchboardWire"],
            plugins: codegen),
        // Transports defined by their spec alone: each module holds only generated code.
        .target(name: "SwitchboardXHRPolling", dependencies: specOnly, plugins: codegen),
        .target(name: "SwitchboardJSONPPolling", dependencies: specOnly, plugins: codegen),
        .target(name: "SwitchboardHTMLFile", dependencies: specOnly, plugins: codegen),
        .target(name: "SwitchboardXHRMultipart", dependencies: specOnly, plugins: codegen),
        .target(name: "SwitchboardServerEvents", dependencies: specOnly, plugins: codegen),
        // The cluster bus on PostgreSQL (docs/cluster.md); the core only knows its protocol.
        .target(
            name: "SwitchboardPostgres",
            dependencies: [
                "SwitchboardCore", .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "switchboard",
            dependencies: [
                "SwitchboardCore", "SwitchboardServer", "SwitchboardStatic", "SwitchboardJSON", "SwitchboardPostgres",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ] + allTransports,
            resources: [.copy("Public")],
            plugins: codegen
        ),

        // The Swift client (io.Socket in Swift). No transport module of the server: the build plugin
        // generates every transport's descriptor into it (it holds the `Socket` component), and the
        // wire format is SwitchboardWire's.
        .target(
            name: "SwitchboardClient",
            dependencies: nio + [
                "SwitchboardCore", "SwitchboardWire", "SwitchboardJSON",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                crypto,
            ],
            plugins: codegen
        ),

        // The load generator of the benchmarks.
        .executableTarget(
            name: "switchboard-bench",
            dependencies: nio + [
                "SwitchboardWire", "SwitchboardClient", "SwitchboardCore",
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // A host composed from the core, websocket and xhr-polling only (README: "Compose a host").
        .executableTarget(
            name: "custom-host",
            dependencies: ["SwitchboardCore", "SwitchboardServer", "SwitchboardWebSocket", "SwitchboardXHRPolling"],
            path: "Examples/custom-host",
            plugins: codegen
        ),
        // Switchboard inside a Hummingbird 2 application, on its router's port.
        .target(
            name: "SwitchboardHummingbird",
            dependencies: [
                "SwitchboardCore", "SwitchboardServer",
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "hummingbird-chat",
            dependencies: [
                "SwitchboardHummingbird", "SwitchboardCore", "SwitchboardWebSocket", "SwitchboardXHRPolling",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Examples/hummingbird-chat"
        ),
        .executableTarget(
            name: "hello-switchboard",
            dependencies: ["SwitchboardCore", "SwitchboardServer", "SwitchboardWebSocket", "SwitchboardXHRPolling"],
            path: "Examples/hello"
        ),

        // Tests.
        .target(
            name: "SwitchboardTestKit",
            dependencies: [
                "SwitchboardWire", crypto, .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            path: "Tests/SwitchboardTestKit"
        ),
        .testTarget(name: "SwitchboardWireTests", dependencies: ["SwitchboardWire", crypto]),
        .testTarget(name: "SwitchboardPostgresTests", dependencies: ["SwitchboardPostgres"]),
        .testTarget(
            name: "SwitchboardTestKitTests",
            dependencies: nio + ["SwitchboardTestKit", .product(name: "NIOWebSocket", package: "swift-nio")]
        ),
        .target(
            name: "SwitchboardServerTestSupport",
            dependencies: nio + ["SwitchboardCore", "SwitchboardWire", "SwitchboardServer", "SwitchboardTestKit"]
                + allTransports,
            path: "Tests/SwitchboardServerTestSupport"
        ),
        .testTarget(
            name: "SwitchboardClientTests",
            dependencies: [
                "SwitchboardClient", "SwitchboardWire", "SwitchboardServer", "SwitchboardTestKit",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "SwitchboardServerTestSupport", .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ] + allTransports
        ),
        .testTarget(name: "SwitchboardSpecTests", dependencies: ["SwitchboardSpec"], exclude: ["Fixtures"]),
        .testTarget(
            name: "GeneratedCodeTests",
            dependencies: nio + [
                "SwitchboardCore", "SwitchboardWebSocket", "SwitchboardXHRPolling", "SwitchboardSpec",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "SwitchboardCoreTests",
            dependencies: [
                "SwitchboardCore", "SwitchboardJSON", "SwitchboardWire", "SwitchboardTestKit",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SwitchboardServerTests",
            dependencies: [
                "SwitchboardCore", "SwitchboardServer", "SwitchboardWebSocket", "SwitchboardXHRPolling", "SwitchboardJSONPPolling",
                "SwitchboardServerEvents", "SwitchboardHTMLFile", "SwitchboardTestKit", .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SwitchboardWebSocketTests",
            dependencies: [
                "SwitchboardCore", "SwitchboardWebSocket", "SwitchboardTestKit", .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "SwitchboardStaticTests",
            dependencies: nio + ["SwitchboardStatic", .product(name: "NIOEmbedded", package: "swift-nio")]
        ),
        .testTarget(
            name: "SwitchboardEndToEndTests",
            dependencies: [
                "SwitchboardCore", "SwitchboardWire", "SwitchboardServer", "SwitchboardJSON", "SwitchboardTestKit",
                "SwitchboardServerTestSupport",
            ] + allTransports
        ),
    ],
    swiftLanguageModes: [.v6]
)
