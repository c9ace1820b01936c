package dev.kcert.core.renewal;

import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Set;

/** A {@link FileOps} that passes every call on; tests override single steps. */
public class ForwardingFileOps implements FileOps {
  private final FileOps delegate;

  public ForwardingFileOps(FileOps delegate) {
    this.delegate = delegate;
  }

  @Override
  public byte[] read(Path file) {
    return delegate.read(file);
  }

  @Override
  public boolean exists(Path file) {
    return delegate.exists(file);
  }

  @Override
  public void createDirectories(Path dir, Set<PosixFilePermission> perms) {
    delegate.createDirectories(dir, perms);
  }

  @Override
  public Path writeTemp(Path target, byte[] content, Set<PosixFilePermission> perms) {
    return delegate.writeTemp(target, content, perms);
  }

  @Override
  public void rename(Path from, Path to) {
    delegate.rename(from, to);
  }

  @Override
  public void delete(Path file) {
    delegate.delete(file);
  }
}
