// swift-tools-version:6.0
import PackageDescription

#if os(macOS)
    let blasProviders: [SystemPackageProvider] = []
#else
    let blasProviders: [SystemPackageProvider] = [.apt(["libopenblas-dev"])]
#endif

let package = Package(
    name: "Recur",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "recur", targets: ["recur"]),
        .executable(name: "recur-bench", targets: ["RecurBench"]),
        .executable(name: "recur-fuzz", targets: ["recur-fuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // BLAS: OpenBLAS on Linux, Accelerate on macOS (see Sources/CBLAS/shim.h).
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS", providers: blasProviders),
        // C kernels chosen at run time from what the CPU has: int8 and half-precision weights for small-batch
        // inference, the thread pool that splits them, single-precision products for training, vector math and the
        // cells' pointwise work.
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3"])]),
        // Numeric core: flat buffers, BLAS wrappers, vectorised activations.
        .target(
            name: "RecurKernels", dependencies: ["CBLAS", "CKernels"],
            linkerSettings: [
                .linkedLibrary("openblas", .when(platforms: [.linux])),
                .linkedFramework("Accelerate", .when(platforms: [.macOS])),
            ]),
        // The default model's weights, linked into the `recur` binary (only) from Models/default.safetensors.
        .target(name: "CDefaultModel", cSettings: [.headerSearchPath("../../Models")]),
        // Byte-level language model: cells, inference state, sampling, safetensors.
        .target(
            name: "RecurModel",
            dependencies: ["RecurKernels", "CKernels", .product(name: "Crypto", package: "swift-crypto")]),
        // Wire protocol: Content-Length framing, JSON-RPC 2.0, LSP and recur/* message types. Foundation only.
        .target(name: "RecurProtocol"),
        // Documents: text buffers, LSP positions in UTF-8/16/32, edit application. Pure text: no model.
        .target(name: "RecurDocuments"),
        // The language server: connection state, documents, dispatch, completions, cancellation.
        .target(
            name: "RecurServer",
            dependencies: [
                "RecurProtocol", "RecurDocuments", "RecurModel", "RecurKernels", "RecurStore", "RecurAdaptation",
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Training: batching, loss, Adam, schedules, checkpoints, progress, plots.
        .target(name: "RecurTraining", dependencies: ["RecurModel", "RecurKernels"]),
        // The SQLite store (through GRDB, and the only target that imports it): base models, profiles, adapters.
        .target(
            name: "RecurStore",
            dependencies: [
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "Crypto", package: "swift-crypto"),
            ]),
        // Personal models: gathering the user's text, fine-tuning a profile, choosing the model a profile uses.
        .target(name: "RecurAdaptation", dependencies: ["RecurStore", "RecurTraining", "RecurModel", "RecurKernels"]),
        // Evaluation: keystroke-savings simulation and the baselines it is compared with.
        .target(name: "RecurEvaluation", dependencies: ["RecurModel"]),
        // The command line: parsing and wiring only.
        .executableTarget(
            name: "recur",
            dependencies: [
                "RecurKernels", "RecurModel", "RecurTraining", "RecurEvaluation", "RecurServer", "RecurProtocol",
                "RecurStore", "RecurAdaptation", "CDefaultModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        // Fuzz targets (framing and JSON-RPC, safetensors, edit scripts against a reference, adapter BLOBs), and
        // `recur-fuzz`, which runs them under libFuzzer in `make fuzz` or replays inputs otherwise.
        .target(
            name: "RecurFuzzing", dependencies: ["RecurProtocol", "RecurDocuments", "RecurModel", "RecurAdaptation"]),
        .target(name: "CFuzzerDriver"),
        .executableTarget(name: "recur-fuzz", dependencies: ["RecurFuzzing", "CFuzzerDriver"]),
        // `make bench`: Recur's side of the comparison with PyTorch.
        .executableTarget(
            name: "RecurBench", dependencies: ["RecurModel", "RecurTraining", "RecurKernels"],
            path: "Benchmarks/RecurBench"),
        .testTarget(name: "RecurKernelsTests", dependencies: ["RecurKernels"]),
        .testTarget(
            name: "RecurModelTests", dependencies: ["RecurModel", "RecurKernels", "RecurDocuments"],
            exclude: ["Fixtures"]),
        .testTarget(name: "RecurTrainingTests", dependencies: ["RecurTraining", "RecurModel"]),
        .testTarget(name: "RecurProtocolTests", dependencies: ["RecurProtocol"]),
        .testTarget(
            name: "RecurDocumentsTests", dependencies: ["RecurDocuments", "RecurModel", "RecurKernels", "RecurFuzzing"]),
        .testTarget(name: "RecurEvaluationTests", dependencies: ["RecurEvaluation", "RecurModel"]),
        .testTarget(
            name: "RecurStoreTests", dependencies: ["RecurStore", "RecurAdaptation", "RecurModel", "RecurTraining"]),
        .testTarget(name: "RecurCLITests", dependencies: ["recur", "RecurProtocol"]),
        .testTarget(name: "RecurFuzzingTests", dependencies: ["RecurFuzzing"]),
        // In-process server tests: a local connection that feeds messages to the server and collects what it
        // sends, and tiny models.
        .target(
            name: "RecurServerTestSupport", dependencies: ["RecurServer", "RecurProtocol", "RecurModel"],
            path: "Tests/RecurServerTestSupport"),
        .testTarget(
            name: "RecurServerTests",
            dependencies: [
                "RecurServerTestSupport", "RecurServer", "RecurProtocol", "RecurModel", "RecurDocuments",
                "RecurKernels",
            ]),
    ],
    swiftLanguageModes: [.v6]
)
