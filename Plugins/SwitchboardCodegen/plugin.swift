import Foundation
import PackagePlugin

/// Generates `<Target>+Spec.generated.swift` for each Swift target it is applied to, by running
/// `switchboard-codegen generate` with the package's `Specs/` and `Templates/swift/`.
///
/// Every spec and template file is an input, so editing any of them re-runs the generator on the
/// next build; the tool rewrites its output only when the content changed.
@main
struct SwitchboardCodegen: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        guard let target = target as? SwiftSourceModuleTarget else { return [] }
        let package = context.package.directoryURL
        let specs = package.appending(path: "Specs")
        let templates = package.appending(path: "Templates").appending(path: "swift")
        let output = context.pluginWorkDirectoryURL.appending(path: "\(target.name)+Spec.generated.swift")
        let dependencies = target.recursiveTargetDependencies.map(\.name)
        return [
            .buildCommand(
                displayName: "Generating \(target.name)+Spec.generated.swift from Specs",
                executable: try context.tool(named: "switchboard-codegen").url,
                arguments: [
                    "generate",
                    "--specs", specs.path(),
                    "--templates", templates.path(),
                    "--target", target.name,
                    "--dependencies", dependencies.joined(separator: ","),
                    "--output", output.path(),
                ],
                // The directories too: their modification dates change when a file is added or
                // removed, which makes the command run again.
                inputFiles: directories(under: specs) + directories(under: templates)
                    + files(under: specs, ending: ".yaml") + files(under: templates, ending: ".mustache"),
                outputFiles: [output]
            )
        ]
    }

    /// `directory` and every directory under it, sorted.
    private func directories(under directory: URL) -> [URL] {
        guard
            let enumerator = FileManager.default.enumerator(
                at: directory, includingPropertiesForKeys: [.isDirectoryKey])
        else {
            return []
        }
        let nested = enumerator.compactMap { $0 as? URL }.filter {
            (try? $0.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true
        }
        return [directory] + nested.sorted { $0.path() < $1.path() }
    }

    /// Files under `directory` (recursively) whose names end with `suffix`, sorted.
    private func files(under directory: URL, ending suffix: String) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: nil) else {
            return []
        }
        return enumerator.compactMap { $0 as? URL }.filter { $0.lastPathComponent.hasSuffix(suffix) }
            .sorted { $0.path() < $1.path() }
    }
}
