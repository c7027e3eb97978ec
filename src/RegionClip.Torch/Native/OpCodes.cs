namespace RegionClip.Torch.Native;

// Mirrors the op-code enums of native/include/regionclip.h, in the same order.

internal enum UnaryOp
{
    Neg, Abs, Exp, Log, Log2, Log1p, Expm1, Sqrt, Rsqrt, Sin, Cos, Tanh, Sigmoid, Relu, Gelu, GeluTanh, Silu,
    Floor, Ceil, Round, Trunc, Sign, Reciprocal, LogicalNot, Square, Erf, IsNan, IsInf, IsFinite, Softplus, Atan,
    LogSigmoid,
}

internal enum BinaryOp
{
    Add, Sub, Mul, Div, FloorDiv, TruncDiv, Pow, Remainder, Fmod, Maximum, Minimum, Atan2, Eq, Ne, Lt, Le, Gt, Ge,
    LogicalAnd, LogicalOr, LogicalXor, BitwiseAnd, BitwiseOr, BitwiseXor, Matmul, Mm, Bmm, Outer, RSub, RDiv, RPow,
    BmmAcrossBatch,
}

internal enum ReduceOp
{
    Sum, Mean, Prod, Amax, Amin, LogSumExp, Std, Var, All, Any, CountNonzero,
}
