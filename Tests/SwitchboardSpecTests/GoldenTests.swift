import Foundation
import Testing

@testable import SwitchboardSpec

/// Generated Swift for small fixture specs equals the text in `Fixtures/golden/Expected`.
/// Run with `SWITCHBOARD_UPDATE_GOLDEN=1` to rewrite the expected files after a deliberate change.
@Suite struct GoldenTests {
    static let cases: [(target: String, dependencies: [String])] = [
        ("DemoKit", ["Logging", "NIOCore"]),
        ("DemoPoll", ["DemoKit"]),
        ("DemoUpgrade", ["DemoKit"]),
        ("DemoHost", ["SwitchboardServer", "DemoKit", "DemoPoll", "DemoUpgrade"]),
        ("Unrelated", ["DemoKit"]),
        // Depends on a module with events and enums: imports them instead of declaring them again.
        ("DemoClientKit", ["DemoKit", "Logging", "NIOCore"]),
    ]

    @Test(arguments: cases.map(\.target))
    func generatedTextMatchesExpected(target: String) throws {
        let directory = Paths.fixtures + "/golden/Specs"
        let specs = try SpecLoader.load(try SpecFile.loadAll(directory: directory))
        let generator = Generator(specs: specs, templates: try realTemplates())
        let dependencies = Self.cases.first { $0.target == target }!.dependencies
        let generated = generator.generate(target: target, dependencies: dependencies)
        let expectedPath = Paths.fixtures + "/golden/Expected/\(Generator.outputFileName(target: target)).expected"
        if ProcessInfo.processInfo.environment["SWITCHBOARD_UPDATE_GOLDEN"] == "1" {
            try generated.write(toFile: expectedPath, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
        #expect(generated == expected)
    }

    @Test func writeIfChangedLeavesAnUnchangedFileAlone() throws {
        let path = NSTemporaryDirectory() + "switchboard-codegen-\(UUID().uuidString)/out.swift"
        defer {
            try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: path).deletingLastPathComponent().path)
        }
        #expect(try writeIfChanged("a\n", to: path))
        #expect(try !writeIfChanged("a\n", to: path))
        #expect(try writeIfChanged("b\n", to: path))
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "b\n")
    }
}

/// The format expresses every transport of docs/protocol.md §6 (all seven are in Specs/), and the spec-only example.
@Suite struct OtherTransportsTests {
    @Test func allSevenTransportsLoadTogether() throws {
        let files = try SpecFile.loadAll(directory: Paths.specs)
        let specs = try SpecLoader.load(files)
        #expect(
            specs.transports.map(\.name) == [
                "websocket", "server-events", "flashsocket", "htmlfile", "xhr-multipart", "xhr-polling",
                "jsonp-polling", "xhr-streaming",
            ]
        )
        let byName = Dictionary(uniqueKeysWithValues: specs.transports.map { ($0.name, $0) })

        let htmlfile = try #require(byName["htmlfile"])
        #expect(htmlfile.kind == .stream)
        #expect(htmlfile.prelude == "<html><body>" && htmlfile.padTo == 256 && htmlfile.padding == " ")
        #expect(htmlfile.wrapper == "<script>parent.s._({payload}, document);</script>")
        #expect(htmlfile.escaping == .jsonString)

        let multipart = try #require(byName["xhr-multipart"])
        #expect(multipart.contentType == "multipart/x-mixed-replace;boundary=\"socketio\"")
        #expect(multipart.prelude == "--socketio\n")
        #expect(multipart.wrapper == "Content-Type: text/plain\n\n{payload}\n--socketio\n")
        #expect(multipart.escaping == .none)

        let events = try #require(byName["server-events"])
        #expect(events.wrapper == "id: {sid}.{seq}\ndata: {payload}\n\n")
        #expect(events.resumeHeader == "Last-Event-ID")
        #expect(events.headers.map(\.name) == ["Cache-Control", "X-Content-Type-Options"])

        let jsonp = try #require(byName["jsonp-polling"])
        #expect(jsonp.pathSegments == ["sid", "timestamp", "index"])
        #expect(jsonp.wrapper == "io.JSONP[{index}]._({payload});")
        #expect(jsonp.options.map(\.name) == ["duration"])
        #expect(jsonp.options.first?.value == .milliseconds(20000))

        let flash = try #require(byName["flashsocket"])
        #expect(flash.kind == .upgrade && flash.implementation == "FlashSocketTransport" && flash.contentType == nil)

        // Each renders: a stream transport gets StreamTransport.
        let generator = Generator(specs: specs, templates: try realTemplates())
        let source = generator.generate(target: "SwitchboardHTMLFile", dependencies: ["SwitchboardCore"])
        #expect(source.contains("public static let htmlfile = TransportDescriptor("))
        #expect(source.contains("padTo: 256,"))
        #expect(source.contains("escaping: .jsonString,"))
        #expect(source.contains("[StreamTransport(descriptor: .htmlfile)]"))
        let sse = generator.generate(target: "SwitchboardServerEvents", dependencies: ["SwitchboardCore"])
        #expect(sse.contains(#"wrapper: "id: {sid}.{seq}\ndata: {payload}\n\n","#))
        #expect(sse.contains(#"resumeHeader: "Last-Event-ID","#))
    }

    @Test func realSpecsGenerateForEveryTarget() throws {
        let specs = try SpecLoader.load(try SpecFile.loadAll(directory: Paths.specs))
        let generator = Generator(specs: specs, templates: try realTemplates())
        let host = generator.generate(
            target: "CustomHost", dependencies: ["SwitchboardServer", "SwitchboardCore", "SwitchboardWebSocket"])
        #expect(host.contains("TransportRegistry(SwitchboardWebSocketTransports.all)"))
        #expect(!host.contains("XHRPolling"))
        let none = generator.generate(target: "SwitchboardServer", dependencies: ["SwitchboardCore"])
        #expect(none == "// Generated from Specs/ (no spec applies to this target); do not edit.\n")
    }
}
