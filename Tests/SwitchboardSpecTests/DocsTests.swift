import Foundation
import Testing

@testable import SwitchboardSpec

/// `docs/` is generated from Specs/ and Templates/docs/ and committed; these tests fail when it is
/// stale (run `swift package --allow-writing-to-package-directory generate-docs`).
@Suite struct DocsTests {
    static let docs = Paths.package + "/docs"
    static let templates = Paths.package + "/Templates/docs"

    func pages() throws -> [String: String] {
        let specs = try SpecLoader.load(try SpecFile.loadAll(directory: Paths.specs))
        return try DocsGenerator(
            specs: specs, templateFiles: try TemplateFile.loadAll(directory: Self.templates), directory: Self.templates
        ).pages()
    }

    @Test func committedDocsAreCurrent() throws {
        let pages = try pages()
        for (path, text) in pages {
            let committed = try? String(contentsOfFile: Self.docs + "/" + path, encoding: .utf8)
            #expect(committed == text, "docs/\(path) is stale: run generate-docs")
        }
        let transportPages = try FileManager.default.contentsOfDirectory(atPath: Self.docs + "/transports")
        #expect(Set(transportPages.map { "transports/" + $0 }) == Set(pages.keys.filter { $0.hasPrefix("transports/") }),
            "one page per transport spec, no others")
    }

    @Test func everyTransportHasAPageWithItsExamples() throws {
        let pages = try pages()
        let specs = try SpecLoader.load(try SpecFile.loadAll(directory: Paths.specs))
        for transport in specs.transports {
            let page = try #require(pages["transports/\(transport.name).md"])
            #expect(page.contains("`\(transport.url)`"))
            #expect(page.contains("~m~22~m~Zx8f0HpLnC2dRbYkT3qWsA"))
            #expect(pages["README.md"]?.contains("[`\(transport.name)`](transports/\(transport.name).md)") == true)
        }
        #expect(pages["transports/htmlfile.md"]?.contains(#"<script>parent.s._("~m~15~m~hello \u003c/script>", document);</script>"#) == true)
    }

    @Test func specsPageNamesEveryKeyTheLoaderAccepts() throws {
        let page = try #require(try pages()["specs.md"])
        let keys = ComponentParser.keys + ComponentParser.optionKeys + ComponentParser.eventKeys
            + ComponentParser.parameterKeys + TransportParser.keys + OptionType.specNames + EventSpec.payloadTypes
        for key in keys {
            #expect(page.contains("`\(key)`"), "docs/specs.md does not explain `\(key)`")
        }
    }

    @Test func optionsAndEventsPagesListEveryOptionAndEvent() throws {
        let pages = try pages()
        let specs = try SpecLoader.load(try SpecFile.loadAll(directory: Paths.specs))
        for component in specs.components {
            for option in component.options { #expect(pages["options.md"]?.contains("| `\(option.name)` |") == true) }
            for event in component.events { #expect(pages["events.md"]?.contains("| `\(event.name)` |") == true) }
        }
    }

    @Test func aDocsTemplateNameThatDoesNotExistIsAnError() throws {
        var files = try TemplateFile.loadAll(directory: Self.templates)
        let index = try #require(files.firstIndex { $0.name == "transport" })
        files[index].contents += "{{colour}}\n"
        let specs = try SpecLoader.load(try SpecFile.loadAll(directory: Paths.specs))
        #expect(throws: DiagnosticsError.self) {
            try DocsGenerator(specs: specs, templateFiles: files, directory: Self.templates)
        }
    }
}

/// The spec-only transport example: its YAML file is all there is to it.
@Suite struct SpecOnlyTransportTests {
    func hostSource(without excluded: String?) throws -> String {
        let files = try SpecFile.loadAll(directory: Paths.specs).filter { $0.path.hasSuffix("/\(excluded ?? "-")") == false }
        return Generator(specs: try SpecLoader.load(files), templates: try realTemplates())
            .generate(target: "switchboard", dependencies: ["SwitchboardServer", "SwitchboardCore", "SwitchboardWebSocket"])
    }

    @Test func xhrStreamingIsInTheHostsRegistryAndLeavesWithItsYAML() throws {
        let with = try hostSource(without: nil)
        #expect(with.contains(#"name: "xhr-streaming""#))
        #expect(with.contains("SwitchboardWebSocketTransports.all + SwitchboardTransports.all"))
        let without = try hostSource(without: "xhr-streaming.yaml")
        #expect(!without.contains("xhr-streaming"))
        #expect(without.contains("TransportRegistry(SwitchboardWebSocketTransports.all)"))
    }
}
