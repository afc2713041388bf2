// Shapes: any rank; storage row-major (last axis contiguous).
import Foundation

/// Errors of the tensor layer: what was wrong and where (file, tensor name, shape).
public struct TensorError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// A dense fp32 tensor with contiguous row-major storage.
public struct Tensor: Sendable, Equatable {
    public var shape: [Int]
    public var data: [Float]

    public init(shape: [Int], data: [Float]) throws {
        guard shape.allSatisfy({ $0 >= 0 }), shape.reduce(1, *) == data.count else {
            throw TensorError("shape \(shape) holds \(shape.reduce(1, *)) values, but \(data.count) were given")
        }
        self.shape = shape
        self.data = data
    }

    /// All zeros.
    public init(zeros shape: [Int]) {
        self.shape = shape
        data = [Float](repeating: 0, count: shape.reduce(1, *))
    }

    public var count: Int { data.count }
    public var rank: Int { shape.count }

    /// The same values under another shape with as many elements.
    public func reshaped(_ newShape: [Int]) throws -> Tensor { try Tensor(shape: newShape, data: data) }

    /// Matrix product of the last two axes of rank-2 tensors: [M, K] · [K, N] (or [N, K] with `transposeB`).
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false) throws -> Tensor {
        guard a.rank == 2, b.rank == 2 else { throw TensorError("matmul needs rank-2 tensors, got \(a.shape) and \(b.shape)") }
        let (m, k) = (a.shape[0], a.shape[1])
        let (kb, n) = transposeB ? (b.shape[1], b.shape[0]) : (b.shape[0], b.shape[1])
        guard k == kb else { throw TensorError("matmul: inner sizes differ: \(a.shape) · \(b.shape)\(transposeB ? "ᵀ" : "")") }
        var out = Tensor(zeros: [m, n])
        guard m > 0, n > 0 else { return out }
        if k == 0 { return out }
        a.data.withUnsafeBufferPointer { pa in
            b.data.withUnsafeBufferPointer { pb in
                out.data.withUnsafeMutableBufferPointer { pc in
                    BLAS.gemm(pa.baseAddress!, pb.baseAddress!, pc.baseAddress!, m: m, n: n, k: k, transB: transposeB)
                }
            }
        }
        return out
    }
}
