// The spec loader (docs/architecture.md §5, docs/specs.md) on a hostile YAML document given as a
// spec file: alone (beside a minimal `Transport` component), or among the real specs of Specs/ in
// place of the one with the same name. It must report diagnostics, never crash.
//
// Checks: a load that fails reports at least one diagnostic, each with a message, at a position
// (line and column from 1) inside one of the files given, sorted by file then position; a load
// that succeeds keeps the document's specs at its own path, and the generator renders the
// document's module and a host linking every transport without crashing.
import Foundation
import FuzzSupport
import SwitchboardSpec

/// The package's directory: $SWITCHBOARD_ROOT, or three levels above this file.
let root = ProcessInfo.processInfo.environment["SWITCHBOARD_ROOT"]
    ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().path
let realSpecs = try! SpecFile.loadAll(directory: root + "/Specs")
let templates = try! TemplateSet(files: TemplateFile.loadAll(directory: root + "/Templates/swift"), directory: root + "/Templates/swift")
let transportComponent = SpecFile(
    path: "Specs/transport.yaml",
    contents: """
        component: Transport
        module: SwitchboardCore
        description: Transport options.
        options:
          duration:
            type: milliseconds
            optional: true
            description: Poll duration.

        """)

/// The value of a spec's `transport:` or `component:` line, the name it replaces among the real specs.
func specName(_ text: String) -> String? {
    for line in lines(of: text[...]) {
        for key in ["transport:", "component:"] where line.hasPrefix(key) {
            return line.dropFirst(key.count).trimmingCharacters(in: .whitespaces)
        }
    }
    return nil
}
let realNames = realSpecs.map { specName($0.contents) }

fuzzMain { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    // Among the real specs one time in eight (parsing them all is most of the time a run takes).
    let alone = bytes.count % 8 != 0
    let fuzzPath = "Specs/transports/fuzz.yaml"
    var files = [transportComponent]
    if !alone {
        files = realSpecs
        let name = specName(text)
        if let index = realNames.firstIndex(where: { $0 != nil && $0 == name }) { files.remove(at: index) }
    }
    files.append(SpecFile(path: fuzzPath, contents: text))

    do throws(DiagnosticsError) {
        let specs = try SpecLoader.load(files)
        let ours = specs.transports.filter { $0.file.path == fuzzPath }.map(\.module)
            + specs.components.filter { $0.file.path == fuzzPath }.map(\.module)
        check(!ours.isEmpty, "a spec loaded without the document's spec")
        let generator = Generator(specs: specs, templates: templates)
        for module in Set(ours) {
            check(!generator.generate(target: module, dependencies: [Generator.coreModule]).isEmpty, "nothing generated for \(module)")
        }
        let modules = Set(specs.transports.map(\.module))
        check(!generator.generate(target: "FuzzHost", dependencies: [Generator.coreModule, Generator.serverModule] + modules).isEmpty,
              "nothing generated for a host")
    } catch {
        let diagnostics = error.diagnostics
        check(!diagnostics.isEmpty, "a failed load without diagnostics")
        let order = Dictionary(uniqueKeysWithValues: files.enumerated().map { ($1.path, $0) })
        var previous: (Int, Int, Int)?
        for diagnostic in diagnostics {
            let location = diagnostic.location
            guard let file = order[location.path] else { return check(false, "a diagnostic in \(location.path), not a file given") }
            // YAML also breaks lines at CR, NEL, LS and PS: count every one, for a bound.
            let lineCount = files[file].contents.unicodeScalars.filter { "\n\r\u{85}\u{2028}\u{2029}".unicodeScalars.contains($0) }.count + 1
            check(location.line >= 1 && location.column >= 1 && location.line <= lineCount + 1,
                  "diagnostic \(diagnostic) outside its file of \(lineCount) lines")
            check(!diagnostic.message.isEmpty, "a diagnostic without a message at \(location)")
            let key = (file, location.line, location.column)
            if let previous { check(previous <= key, "diagnostics out of order: \(diagnostics)") }
            previous = key
        }
    }
}
