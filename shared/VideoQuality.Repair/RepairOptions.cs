using System.ComponentModel.DataAnnotations;

namespace VideoQuality.Repair;

/// <summary>How chroma is repaired in blocks the enhancer model repairs (the model is trained on luma only).</summary>
public enum ChromaRepair
{
    /// <summary>Chroma is left as decoded.</summary>
    None,

    /// <summary>
    /// A weak, edge-preserving deblocking filter across the chroma 8x8 block edges inside the repair region
    /// (4:2:0 codecs code chroma in 8x8 blocks of the half-resolution planes): a boundary step smaller than
    /// <see cref="RepairOptions.ChromaEdgeThreshold"/> is treated as a coding artefact and smoothed over the two
    /// samples on each side; larger steps are real colour edges and kept. Costs about 1% of the model's time.
    /// </summary>
    Deblock,
}

/// <summary>Repair settings (configuration section <c>Repair</c>).</summary>
public sealed class RepairOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Repair";

    /// <summary>
    /// Width in pixels of the ring around each model-repaired block that the model also repairs, so both sides of a
    /// flagged block's boundary are restored. 8 = one whole block, as the Python reference's <c>repair_mask</c>
    /// (training/vqtrain/infer.py); the model's cost grows with it (its input is the area plus its context margin).
    /// Default 6: on the 640x360 vqbench validation compression clips 0 / 4 / 6 / 8 px gave +0.43 / +0.57 / +0.59 /
    /// +0.61 dB, and at 5% flagged blocks the model reads 30.8 k / 35.6 k / 40.8 k pixels for 4 / 6 / 8 px
    /// (docs/BENCHMARKS.md, "Enhancer cost").
    /// </summary>
    [Range(0, 16)]
    public int DilatePixels { get; set; } = 6;

    /// <summary>
    /// Largest tile side in pixels (before the context margin); larger damaged areas are split. Default 384: a fully
    /// flagged 640x360 frame runs as 2 tiles (239 k model pixels) instead of 15 at 128 (300 k: every tile reads its
    /// margin again), 34.6 ms instead of 42.7 with the fast profile on one core (docs/BENCHMARKS.md); each tile's
    /// activations stay small (~30 MB at 48 channels).
    /// </summary>
    [Range(16, 1024)]
    public int MaxTileSide { get; set; } = 384;

    /// <summary>Flagged areas whose bounding boxes are at most this many blocks apart share a tile.</summary>
    [Range(0, 8)]
    public int MergeGapBlocks { get; set; } = 1;

    /// <summary>Pixels over which model output is faded into the untouched neighbourhood at the edge of the repair region (0 = hard edge, like the Python reference).</summary>
    [Range(0, 4)]
    public int BlendRamp { get; set; } = 2;

    /// <summary>
    /// Largest concealment tile side in pixels (each tile gets its own motion vector). Default 128: on the calib_vqbench
    /// transmission clips with ground-truth masks (<c>vq enhance --masks</c>, <see cref="MatchRing"/> 32) 32 / 64 / 128 /
    /// 256 px gave +1.69 (ring 16) / +2.26 / +2.38 / +2.38 dB: a larger area matches more reliably, and the global field
    /// covers what one vector per tile cannot (zoom).
    /// </summary>
    [Range(8, 256)]
    public int ConcealTileSide { get; set; } = 128;

    /// <summary>Motion search range in pixels (each direction) for temporal concealment.</summary>
    [Range(0, 32)]
    public int SearchRadius { get; set; } = 8;

    /// <summary>
    /// Width in pixels of the ring of intact pixels around a hole tile that block matching compares (larger rings are
    /// subsampled, so the cost per tile stays bounded). Default 32: on calib_vqbench with ground-truth masks 2 / 4 / 8 px
    /// gave +1.05 / +1.42 / +1.56 dB with 32-px tiles, and 16 / 32 px +2.22 / +2.38 dB with 128-px tiles.
    /// </summary>
    [Range(1, 32)]
    public int MatchRing { get; set; } = 32;

    /// <summary>
    /// Temporal concealment refines each vector to half- and quarter-pel (bilinear interpolation of the previous
    /// frame) and copies with bilinear interpolation (<see cref="TemporalConcealer"/>). The clips' pan and zoom move
    /// 0.3-1 px a frame: on the calib_vqbench transmission clips with ground-truth masks (<c>vq enhance --masks</c>) it
    /// gave +2.38 dB against +1.63 dB integer-pel.
    /// </summary>
    public bool SubpelMotion { get; set; } = true;

    /// <summary>
    /// Temporal concealment also tries a frame-wide affine motion field fitted to the unflagged blocks' vectors, per
    /// hole tile against the tile's own vector by the same ring SAD; tiles inside large holes (no intact ring) take it.
    /// On calib_vqbench with ground-truth masks +2.38 dB against +2.28 dB without (+2.22 / +2.07 dB with 16-px rings).
    /// </summary>
    public bool GlobalMotion { get; set; } = true;

    /// <summary>
    /// Most 16x16 blocks matched to estimate the global motion field (a sparse grid over the frame). Default 64: on
    /// calib_vqbench with ground-truth masks 64 / 128 blocks gave +2.35 / +2.36 dB (48 / 128: +2.33 / +2.38 dB with
    /// finer ring sampling), and the estimate takes 0.34 / 0.51 ms on a 640x360 frame (<c>VideoQuality.Bench conceal</c>).
    /// </summary>
    [Range(8, 4096)]
    public int GlobalMotionBlocks { get; set; } = 64;

    /// <summary>
    /// Temporal concealment also tries the vectors of already concealed adjacent blocks. With 128-px tiles and the
    /// global field it made no measurable difference on calib_vqbench (+2.38 dB either way); kept for holes where no
    /// global field can be fitted, at no measurable cost.
    /// </summary>
    public bool NeighbourCandidates { get; set; } = true;

    /// <summary>
    /// Mean absolute luma difference (0-255) of the unflagged blocks between the frame and the stream's previous
    /// repaired frame above which the previous frame is treated as another scene (no concealment from it).
    /// </summary>
    [Range(1, 255)]
    public double SceneCutMad { get; set; } = 24;

    /// <summary>Frames the detector classes clean are passed through untouched (<see cref="RepairPolicy"/>).</summary>
    public bool SkipCleanFrames { get; set; } = true;

    /// <summary>
    /// In frames classed compression, the model repairs every block that is not flagged as transmission, not only the
    /// flagged ones (<see cref="RepairPolicy"/>): codecs with an in-loop deblocking filter (H.264, HEVC) leave ringing
    /// and smearing that the block mask does not mark but the model still reduces (+0.02 to +0.03 dB on held-out photo
    /// collections, clean frames unchanged: docs/BENCHMARKS.md). Costs a full-frame model pass on such frames. Off by
    /// default: EnhanceResponse reports the detector's masks, not the repaired region, so with it on a client can no
    /// longer tell which pixels may have changed.
    /// </summary>
    public bool WholeCompressionFrames { get; set; }

    /// <summary>In frames classed transmission, all flagged blocks are concealed temporally (<see cref="RepairPolicy"/>).</summary>
    public bool ConcealAllInTransmissionFrames { get; set; } = true;

    /// <summary>
    /// Largest share of a frame's blocks that temporal concealment replaces: a frame classed transmission whose
    /// transmission mask covers more is repaired as compression instead (the model on its compression blocks, no
    /// concealment). Replacing most of a frame from the previous one is right only for a total loss, and a mask that
    /// wide is far more often the detector marking dense texture (<see cref="RepairPolicy"/>; docs/BENCHMARKS.md).
    /// 1 turns the guard off.
    /// </summary>
    [Range(0.0, 1.0)]
    public double MaxConcealFraction { get; set; } = 0.1;

    /// <summary>How chroma is repaired in model-repaired blocks.</summary>
    public ChromaRepair Chroma { get; set; } = ChromaRepair.Deblock;

    /// <summary>Chroma boundary steps below this are smoothed by <see cref="ChromaRepair.Deblock"/>.</summary>
    [Range(1, 64)]
    public int ChromaEdgeThreshold { get; set; } = 10;

    /// <summary>
    /// Quality (1-100) of repaired frames returned as JPEG when the request does not set one. JPEG is lossy, so a
    /// repaired JPEG frame is re-encoded whole; a high quality keeps the generation loss outside the repair small.
    /// </summary>
    [Range(1, 100)]
    public int JpegQuality { get; set; } = Media.ImageEncoder.DefaultJpegQuality;
}
