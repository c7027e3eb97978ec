namespace RegionClip.Torch.Serialization;

public enum CheckpointKind
{
    /// <summary>A torch.save file in the zip format (PyTorch ≥ 1.6).</summary>
    TorchSave = 1,
    /// <summary>A TorchScript archive (torch.jit.save), e.g. OpenAI's RN50.pt.</summary>
    TorchScript = 2,
    /// <summary>A pre-1.6 torch.save pickle; re-save it with a newer PyTorch.</summary>
    LegacyPickle = 3,
}
