import ArgumentParser
import Foundation
import SwitchboardSpec

@main
struct SwitchboardCodegen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard-codegen",
        abstract: "Generates Switchboard's Swift code from its YAML specs.",
        subcommands: [Generate.self, Docs.self]
    )
}

struct Generate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Writes <Target>+Spec.generated.swift for one target.",
        discussion: """
            Loads every *.yaml under --specs, checks them and the templates, and writes the \
            target's generated file only if its content changed. Errors are printed as \
            path:line:col: error: message, every one of them, and the exit status is 1.
            """
    )

    @Option(help: "Directory of spec files (searched recursively for *.yaml).")
    var specs: String

    @Option(help: "Directory of the Swift Mustache templates.")
    var templates: String

    @Option(help: "Name of the target to generate for.")
    var target: String

    @Option(help: "Comma-separated names of the target's recursive dependencies.")
    var dependencies: String = ""

    @Option(help: "File to write.")
    var output: String

    func run() throws {
        var diagnostics: [Diagnostic] = []
        var specSet: SpecSet?
        var templateSet: TemplateSet?
        do {
            specSet = try SpecLoader.load(try SpecFile.loadAll(directory: specs))
        } catch let error as DiagnosticsError {
            diagnostics += error.diagnostics
        }
        do {
            templateSet = try TemplateSet(files: try TemplateFile.loadAll(directory: templates), directory: templates)
        } catch let error as DiagnosticsError {
            diagnostics += error.diagnostics
        }
        guard diagnostics.isEmpty, let specSet, let templateSet else { throw failure(diagnostics) }
        let source = Generator(specs: specSet, templates: templateSet).generate(
            target: target,
            dependencies: dependencies.split(separator: ",").map(String.init)
        )
        try writeIfChanged(source, to: output)
    }
}

struct Docs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Writes the reference pages of docs/ from the specs.",
        discussion: "Each page is written only if its content changed; transport pages of transports that no longer exist are removed."
    )

    @Option(help: "Directory of spec files (searched recursively for *.yaml).")
    var specs: String

    @Option(help: "Directory of the docs Mustache templates.")
    var templates: String

    @Option(help: "Directory to write the pages into.")
    var output: String

    func run() throws {
        let pages: [String: String]
        do {
            let specSet = try SpecLoader.load(try SpecFile.loadAll(directory: specs))
            pages = try DocsGenerator(
                specs: specSet, templateFiles: try TemplateFile.loadAll(directory: templates), directory: templates
            ).pages()
        } catch let error as DiagnosticsError {
            throw failure(error.diagnostics)
        }
        for (path, text) in pages.sorted(by: { $0.key < $1.key }) where try writeIfChanged(text, to: output + "/" + path) {
            print("wrote \(output)/\(path)")
        }
        let transportPages = output + "/transports"
        for file in (try? FileManager.default.contentsOfDirectory(atPath: transportPages)) ?? []
        where pages["transports/" + file] == nil {
            try FileManager.default.removeItem(atPath: transportPages + "/" + file)
            print("removed \(transportPages)/\(file)")
        }
    }
}

/// Prints every diagnostic as `path:line:col: error: message` on standard error; the exit status to throw.
func failure(_ diagnostics: [Diagnostic]) -> ExitCode {
    for diagnostic in diagnostics {
        FileHandle.standardError.write(Data((diagnostic.description + "\n").utf8))
    }
    return ExitCode.failure
}
