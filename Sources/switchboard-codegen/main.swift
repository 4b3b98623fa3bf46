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

/// Where both subcommands read: the specs and the templates they render.
struct Inputs: ParsableArguments {
    @Option(help: "Directory of spec files (searched recursively for *.yaml).")
    var specs: String

    @Option(help: "Directory of the Mustache templates (Templates/swift for generate, Templates/docs for docs).")
    var templates: String

    /// The checked specs, and what `render` makes of the template files. Every error of both is
    /// printed as `path:line:col: error: message` and the command fails.
    func load<Renderer>(
        _ render: (_ specs: SpecSet?, _ templates: [TemplateFile]) throws(DiagnosticsError) -> Renderer
    ) throws -> (SpecSet, Renderer) {
        var diagnostics: [Diagnostic] = []
        var specSet: SpecSet?
        var renderer: Renderer?
        do {
            specSet = try SpecLoader.load(try SpecFile.loadAll(directory: specs))
        } catch let error as DiagnosticsError {
            diagnostics += error.diagnostics
        }
        do {
            renderer = try render(specSet, try TemplateFile.loadAll(directory: templates))
        } catch let error as DiagnosticsError {
            diagnostics += error.diagnostics
        }
        guard diagnostics.isEmpty, let specSet, let renderer else {
            for diagnostic in diagnostics {
                FileHandle.standardError.write(Data((diagnostic.description + "\n").utf8))
            }
            throw ExitCode.failure
        }
        return (specSet, renderer)
    }
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

    @OptionGroup var inputs: Inputs

    @Option(help: "Name of the target to generate for.")
    var target: String

    @Option(help: "Comma-separated names of the target's recursive dependencies.")
    var dependencies: String = ""

    @Option(help: "File to write.")
    var output: String

    func run() throws {
        let (specSet, templateSet) = try inputs.load { _, files throws(DiagnosticsError) in
            try TemplateSet(files: files, directory: inputs.templates)
        }
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
        discussion:
            "Each page is written only if its content changed; transport pages of transports that no longer exist are removed."
    )

    @OptionGroup var inputs: Inputs

    @Option(help: "Directory to write the pages into.")
    var output: String

    func run() throws {
        // The docs templates are checked once the specs load (their views are made from the specs).
        let (_, docs) = try inputs.load { specs, files throws(DiagnosticsError) -> DocsGenerator? in
            guard let specs else { return nil }
            return try DocsGenerator(specs: specs, templateFiles: files, directory: inputs.templates)
        }
        guard let pages = docs?.pages() else { return }
        for (path, text) in pages.sorted(by: { $0.key < $1.key })
        where try writeIfChanged(text, to: output + "/" + path) {
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
