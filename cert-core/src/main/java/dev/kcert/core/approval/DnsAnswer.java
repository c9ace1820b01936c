package dev.kcert.core.approval;

import java.net.InetAddress;
import java.util.Objects;
import java.util.Set;

/** What resolving one DNS SAN gave, for {@code --verify-dns}. Looked up by the caller. */
public sealed interface DnsAnswer {

  /** The name resolved to these addresses (possibly none: NXDOMAIN or no A/AAAA records). */
  record Addresses(Set<InetAddress> addresses) implements DnsAnswer {
    public Addresses {
      addresses = Set.copyOf(addresses);
    }
  }

  /** The lookup failed or timed out: nothing is known, so nothing is approved yet. */
  record Failed(String why) implements DnsAnswer {
    public Failed {
      Objects.requireNonNull(why);
    }
  }
}
