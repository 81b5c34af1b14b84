// mcroute patch (PATCH.md §8), ours whole: Len counts the nodes.

package linkedlist

import "testing"

func TestLenCounts(t *testing.T) {
	var b Buffer
	if b.Len() != 0 {
		t.Fatalf("empty: Len %d", b.Len())
	}
	b.PushBack([]byte("abc"))
	b.PushBack([]byte("de"))
	b.PushBack([]byte("f"))
	if b.Len() != 3 || b.Buffered() != 6 {
		t.Fatalf("Len %d, Buffered %d, want 3, 6", b.Len(), b.Buffered())
	}
	if _, err := b.Discard(4); err != nil {
		t.Fatal(err)
	}
	if b.Len() != 2 || b.Buffered() != 2 {
		t.Fatalf("after Discard(4): Len %d, Buffered %d, want 2, 2", b.Len(), b.Buffered())
	}
	b.Reset()
	if b.Len() != 0 || !b.IsEmpty() {
		t.Fatalf("after Reset: Len %d", b.Len())
	}
}
