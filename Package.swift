// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Weft",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "weft", targets: ["weft"]),
        .library(name: "WeftCore", targets: ["WeftCore"]),
        .library(name: "WeftStages", targets: ["WeftStages"]),
        .library(name: "WeftTensor", targets: ["WeftTensor"]),
        .library(name: "WeftModels", targets: ["WeftModels"]),
        .library(name: "WeftTrain", targets: ["WeftTrain"]),
        .library(name: "WeftText", targets: ["WeftText"]),
        .library(name: "WeftEval", targets: ["WeftEval"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CGit2", pkgConfig: "libgit2", providers: [.apt(["libgit2-dev"])]),
        // Declarations only: WeftTensor loads libopenblas with dlopen on first use (see BLAS.swift).
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        .target(name: "WeftTensor", dependencies: ["COpenBLAS"]),
        .target(name: "WeftModels", dependencies: ["WeftTensor"]),
        .target(name: "WeftTrain", dependencies: ["WeftModels", "WeftTensor"]),
        .target(name: "WeftText"),
        .target(name: "WeftEval", dependencies: ["WeftText"]),
        .target(name: "CWeftSys"),
        .target(
            name: "WeftCore",
            dependencies: [
                "CSQLite", "CGit2", "CWeftSys",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]),
        .executableTarget(name: "ManifestEmbedder", path: "Sources/ManifestEmbedder"),
        .plugin(name: "EmbedManifests", capability: .buildTool(), dependencies: ["ManifestEmbedder"]),
        .target(
            name: "WeftStages",
            dependencies: ["WeftCore", "WeftTensor", "WeftModels", "WeftText", "WeftEval", "WeftTrain"],
            plugins: ["EmbedManifests"]),
        .executableTarget(
            name: "weft",
            dependencies: [
                "WeftCore", "WeftStages", "WeftTensor", "WeftModels", "WeftTrain", "WeftText", "WeftEval",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "WeftCoreTests", dependencies: ["WeftCore"]),
        .testTarget(name: "WeftStagesTests", dependencies: ["WeftStages"]),
        .testTarget(name: "WeftTensorTests", dependencies: ["WeftTensor"]),
        .testTarget(name: "WeftModelsTests", dependencies: ["WeftModels"]),
        .testTarget(name: "WeftTrainTests", dependencies: ["WeftTrain", "WeftModels"]),
        .testTarget(name: "WeftTextTests", dependencies: ["WeftText"]),
        .testTarget(name: "WeftEvalTests", dependencies: ["WeftEval", "WeftText"]),
        .testTarget(name: "WeftCLITests", dependencies: ["weft", "WeftCore", "WeftText"]),
    ],
    swiftLanguageModes: [.v6]
)
