// Element types and reduction operators, named as nccl-tests names them.

export const DTYPES = ['float', 'int32'] as const;
export type Dtype = (typeof DTYPES)[number];

export const REDOPS = ['sum', 'prod', 'max', 'min'] as const;
export type RedOp = (typeof REDOPS)[number];

/** What an element-wise step does: reduce into dst, or copy over it. */
export type ElementwiseOp = RedOp | 'copy';

export type ElementArray = Float32Array | Int32Array;

export interface DtypeInfo {
  readonly name: Dtype;
  readonly bytes: number;
  readonly wgsl: 'f32' | 'i32';
  readonly create: (length: number) => ElementArray;
}

export const DTYPE_INFO: Readonly<Record<Dtype, DtypeInfo>> = {
  float: { name: 'float', bytes: 4, wgsl: 'f32', create: (n) => new Float32Array(n) },
  int32: { name: 'int32', bytes: 4, wgsl: 'i32', create: (n) => new Int32Array(n) },
};

export function isDtype(value: string): value is Dtype {
  return (DTYPES as readonly string[]).includes(value);
}

export function isRedOp(value: string): value is RedOp {
  return (REDOPS as readonly string[]).includes(value);
}
