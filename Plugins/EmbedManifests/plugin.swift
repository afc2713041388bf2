import Foundation
import PackagePlugin

/// Build-tool plugin: turns every `stages/*.yaml` manifest at the package root into
/// one generated Swift file, so the `weft` binary carries the built-in catalog with it
/// and works in any project folder.
@main
struct EmbedManifests: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: Target) throws -> [Command] {
        let stagesDir = context.package.directoryURL.appendingPathComponent("stages")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: stagesDir.path)) ?? []
        let inputs = names.filter { $0.hasSuffix(".yaml") }.sorted().map { stagesDir.appendingPathComponent($0) }
        let output = context.pluginWorkDirectoryURL.appendingPathComponent("EmbeddedManifests.swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) stage manifests",
                executable: try context.tool(named: "ManifestEmbedder").url,
                arguments: [output.path] + inputs.map(\.path),
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
